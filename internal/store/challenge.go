package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/techx-cz/techx/internal/techx"
)

type challengeRow struct {
	ID                   string
	NeedID               string
	OrgID                string
	CreatedBy            string
	BountyWan            int64
	ApplyUntil           string
	Requirements         string
	Status               string
	AwardedApplicationID *string
	DealID               *string
	AwardedAt            *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
	NeedTitle            string `gorm:"->;column:need_title"`
	NeedStatus           string `gorm:"->;column:need_status"`
	Industry             string `gorm:"->;column:industry"`
	Bottleneck           bool   `gorm:"->;column:bottleneck"`
	Applications         int    `gorm:"->;column:applications"`
	AwardedOrgID         *string
}

func (challengeRow) TableName() string { return "challenges" }

func (r *challengeRow) domain() *techx.Challenge {
	c := &techx.Challenge{ID: r.ID, NeedID: r.NeedID, NeedTitle: r.NeedTitle, Industry: r.Industry, Bottleneck: r.Bottleneck,
		OrgID: r.OrgID, CreatedBy: r.CreatedBy, BountyWan: techx.Wan(r.BountyWan), Requirements: r.Requirements, Status: r.Status,
		Applications: r.Applications, AwardedApplicationID: deref(r.AwardedApplicationID), AwardedOrgID: deref(r.AwardedOrgID),
		DealID: deref(r.DealID), AwardedAt: utcPtr(r.AwardedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if d, err := techx.ParseDate(r.ApplyUntil); err == nil {
		c.ApplyUntil = d
	}
	return c
}

type applicationRow struct {
	ID          string
	ChallengeID string
	OrgID       string
	CreatedBy   string
	Proposal    string
	PlannedTRL  int `gorm:"column:planned_trl"`
	PriceWan    *int64
	Team        string
	ResultID    *string
	CreatedAt   time.Time
	OrgName     string `gorm:"->;column:org_name"`
}

func (applicationRow) TableName() string { return "challenge_applications" }

func (r *applicationRow) domain() *techx.Application {
	a := &techx.Application{ID: r.ID, ChallengeID: r.ChallengeID, OrgID: r.OrgID, OrgName: r.OrgName, CreatedBy: r.CreatedBy,
		Proposal: r.Proposal, PlannedTRL: r.PlannedTRL, Team: r.Team, ResultID: deref(r.ResultID), CreatedAt: r.CreatedAt.UTC()}
	if r.PriceWan != nil {
		w := techx.Wan(*r.PriceWan)
		a.PriceWan = &w
	}
	return a
}

// ChallengeService implements techx.ChallengeService on the database.
type ChallengeService struct {
	db *DB
	tx *techx.Taxonomy
}

// NewChallengeService returns a ChallengeService on db.
func NewChallengeService(db *DB, tx *techx.Taxonomy) *ChallengeService {
	return &ChallengeService{db: db, tx: tx}
}

var _ techx.ChallengeService = (*ChallengeService)(nil)

const challengeSelect = `challenges.*, needs.title AS need_title, needs.status AS need_status, needs.industry AS industry,
	needs.bottleneck AS bottleneck, ca.org_id AS awarded_org_id,
	(SELECT COUNT(*) FROM challenge_applications x WHERE x.challenge_id = challenges.id) AS applications`

func challengeQuery(g *gorm.DB) *gorm.DB {
	return g.Table("challenges").Select(challengeSelect).Joins("JOIN needs ON needs.id = challenges.need_id").
		Joins("LEFT JOIN challenge_applications ca ON ca.id = challenges.awarded_application_id")
}

func loadChallenge(g *gorm.DB, id string, lock bool) (*challengeRow, error) {
	var r challengeRow
	q := challengeQuery(g).Where("challenges.id = ?", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "challenges"}})
	}
	if err := q.Take(&r).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notFound("challenge")
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

// canSeeChallenge: a challenge is public record while its need is not a
// draft; its organization and admins always see it, and so do applicants.
func canSeeChallenge(g *gorm.DB, u *techx.User, r *challengeRow) (bool, error) {
	v := techx.Viewer{User: u}
	if r.NeedStatus != techx.StatusDraft || v.IsMember(r.OrgID) || u.IsAdmin() {
		return true, nil
	}
	if u == nil {
		return false, nil
	}
	var n int64
	err := g.Raw("SELECT COUNT(*) FROM challenge_applications WHERE challenge_id = ? AND org_id = ?", r.ID, u.OrgID).Scan(&n).Error
	return n > 0, err
}

// CreateChallenge implements techx.ChallengeService.
func (s *ChallengeService) CreateChallenge(ctx context.Context, needID string, in *techx.ChallengeInput) (*techx.Challenge, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	v := techx.Viewer{User: u}
	now := s.db.Now()
	var id string
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		nr, err := loadNeed(tx, needID, true)
		if err != nil {
			return err
		}
		if !v.CanSee(nr.OrgID, nr.Status) {
			return notFound(techx.KindNeed)
		}
		if !v.IsMember(nr.OrgID) {
			return techx.Errorf(techx.EFORBIDDEN, "Only the organization that posted the need publishes it as a challenge.")
		}
		if err := in.Validate(now); err != nil {
			return err
		}
		if nr.Status != techx.StatusPublished {
			return techx.Errorf(techx.ECONFLICT, "Only a published need becomes a challenge; this need is %s.", nr.Status)
		}
		var n int64
		if err := tx.Table("challenges").Where("need_id = ?", needID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return techx.Errorf(techx.ECONFLICT, "This need is already a challenge.")
		}
		id = newID()
		row := &challengeRow{ID: id, NeedID: needID, OrgID: nr.OrgID, CreatedBy: u.ID, BountyWan: int64(*in.BountyWan),
			ApplyUntil: in.ApplyUntil.String(), Requirements: in.Requirements, Status: techx.ChallengeOpen, CreatedAt: now, UpdatedAt: now}
		if err := tx.Omit("need_title", "need_status", "industry", "bottleneck", "applications", "awarded_org_id").Create(row).Error; err != nil {
			if isUniqueViolation(err) {
				return techx.Errorf(techx.ECONFLICT, "This need is already a challenge.")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, dbError(err)
	}
	r, err := loadChallenge(s.db.gorm.WithContext(ctx), id, false)
	if err != nil {
		return nil, dbError(err)
	}
	return r.domain(), nil
}

// FindChallengeByID implements techx.ChallengeService.
func (s *ChallengeService) FindChallengeByID(ctx context.Context, id string) (*techx.Challenge, error) {
	g := s.db.gorm.WithContext(ctx)
	r, err := loadChallenge(g, id, false)
	if err != nil {
		return nil, dbError(err)
	}
	if ok, err := canSeeChallenge(g, techx.UserFromContext(ctx), r); err != nil {
		return nil, dbError(err)
	} else if !ok {
		return nil, notFound("challenge")
	}
	return r.domain(), nil
}

// challengeCursor is the keyset position of the challenge list, ordered
// by status (open first), then newest first.
type challengeCursor struct {
	S  string    `json:"s"`
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

func decodeChallengeCursor(s string) (*challengeCursor, error) {
	bad := &techx.Error{Code: techx.EINVALID, Message: "The cursor is not valid; start again without it.",
		Fields: []techx.FieldError{{Field: "cursor", Message: "is not a cursor this API gave out"}}}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 {
		return nil, bad
	}
	var c challengeCursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.T.IsZero() || (c.S != techx.ChallengeOpen && c.S != techx.ChallengeClosed) {
		return nil, bad
	}
	return &c, nil
}

// FindChallenges implements techx.ChallengeService.
func (s *ChallengeService) FindChallenges(ctx context.Context, f techx.ChallengeFilter) ([]*techx.Challenge, int, string, error) {
	if f.Status != "" && f.Status != techx.ChallengeOpen && f.Status != techx.ChallengeClosed {
		return nil, 0, "", &techx.Error{Code: techx.EINVALID, Message: "The request has invalid fields.",
			Fields: []techx.FieldError{{Field: "status", Message: "must be open or closed"}}}
	}
	u := techx.UserFromContext(ctx)
	q := challengeQuery(s.db.gorm.WithContext(ctx))
	switch {
	case u.IsAdmin():
	case u != nil:
		q = q.Where(`(needs.status <> ? OR challenges.org_id = ? OR EXISTS (SELECT 1 FROM challenge_applications y
			WHERE y.challenge_id = challenges.id AND y.org_id = ?))`, techx.StatusDraft, u.OrgID, u.OrgID)
	default:
		q = q.Where("needs.status <> ?", techx.StatusDraft)
	}
	if f.Status != "" {
		q = q.Where("challenges.status = ?", f.Status)
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	if f.Cursor != "" {
		c, err := decodeChallengeCursor(f.Cursor)
		if err != nil {
			return nil, 0, "", err
		}
		q = q.Where(`(challenges.status < ? OR (challenges.status = ? AND (challenges.created_at < ? OR
			(challenges.created_at = ? AND challenges.id < ?))))`, c.S, c.S, c.T, c.T, c.ID)
	}
	var rows []challengeRow
	// 'open' sorts after 'closed': descending puts open challenges first.
	if err := q.Order("challenges.status DESC").Order("challenges.created_at DESC").Order("challenges.id DESC").
		Limit(f.PageSize + 1).Find(&rows).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	next := ""
	if len(rows) > f.PageSize {
		rows = rows[:f.PageSize]
		last := rows[len(rows)-1]
		b, _ := json.Marshal(challengeCursor{S: last.Status, T: last.CreatedAt.UTC(), ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	out := make([]*techx.Challenge, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, int(total), next, nil
}

// Apply implements techx.ChallengeService. Applications after apply_until
// are ECONFLICT (409): the challenge's state, not the input, refuses them.
func (s *ChallengeService) Apply(ctx context.Context, challengeID string, in *techx.ApplicationInput) (*techx.Application, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	now := s.db.Now()
	var a *techx.Application
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		r, err := loadChallenge(tx, challengeID, true)
		if err != nil {
			return err
		}
		if ok, err := canSeeChallenge(tx, u, r); err != nil {
			return err
		} else if !ok {
			return notFound("challenge")
		}
		if u.Role != techx.RoleInstitution {
			return techx.Errorf(techx.EFORBIDDEN, "Institutions answer challenges.")
		}
		if err := in.Validate(); err != nil {
			return err
		}
		c := r.domain()
		if c.Status != techx.ChallengeOpen {
			return techx.Errorf(techx.ECONFLICT, "The challenge is closed.")
		}
		if !c.Accepting(now) {
			return techx.Errorf(techx.ECONFLICT, "Applications closed on %s.", c.ApplyUntil)
		}
		var n int64
		if err := tx.Table("challenge_applications").Where("challenge_id = ? AND org_id = ?", c.ID, u.OrgID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return techx.Errorf(techx.ECONFLICT, "Your organization has already applied to this challenge.")
		}
		if in.ResultID != nil {
			rr, err := loadResult(tx, *in.ResultID, false)
			if err != nil || rr.OrgID != u.OrgID || rr.Status == techx.StatusWithdrawn || rr.Status == techx.StatusTransferred {
				return &techx.Error{Code: techx.EINVALID, Message: "The request has invalid fields.",
					Fields: []techx.FieldError{{Field: "result_id", Message: "must be a current result of your organization"}}}
			}
		}
		row := &applicationRow{ID: newID(), ChallengeID: c.ID, OrgID: u.OrgID, CreatedBy: u.ID, Proposal: in.Proposal,
			PlannedTRL: in.PlannedTRL, Team: in.Team, ResultID: in.ResultID, CreatedAt: now}
		if in.PriceWan != nil {
			p := int64(*in.PriceWan)
			row.PriceWan = &p
		}
		if err := tx.Omit("org_name").Create(row).Error; err != nil {
			if isUniqueViolation(err) {
				return techx.Errorf(techx.ECONFLICT, "Your organization has already applied to this challenge.")
			}
			return err
		}
		if u.Organization != nil {
			row.OrgName = u.Organization.Name
		}
		a = row.domain()
		owners, err := orgMembers(tx, c.OrgID)
		if err != nil {
			return err
		}
		return notify(tx, now, owners, u.ID, techx.Notification{Kind: techx.NotifyApplication, ChallengeID: c.ID,
			Message: "揭榜挂帅「" + c.NeedTitle + "」收到新的揭榜申请"})
	})
	if err != nil {
		return nil, dbError(err)
	}
	return a, nil
}

// FindApplications implements techx.ChallengeService.
func (s *ChallengeService) FindApplications(ctx context.Context, challengeID string) ([]*techx.Application, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	g := s.db.gorm.WithContext(ctx)
	r, err := loadChallenge(g, challengeID, false)
	if err != nil {
		return nil, dbError(err)
	}
	if ok, err := canSeeChallenge(g, u, r); err != nil {
		return nil, dbError(err)
	} else if !ok {
		return nil, notFound("challenge")
	}
	q := g.Table("challenge_applications").Select("challenge_applications.*, organizations.name AS org_name").
		Joins("JOIN organizations ON organizations.id = challenge_applications.org_id").
		Where("challenge_applications.challenge_id = ?", challengeID)
	if !u.IsAdmin() && u.OrgID != r.OrgID {
		q = q.Where("challenge_applications.org_id = ?", u.OrgID)
	}
	var rows []applicationRow
	if err := q.Order("challenge_applications.created_at").Order("challenge_applications.id").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.Application, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// Award implements techx.ChallengeService.
func (s *ChallengeService) Award(ctx context.Context, challengeID, applicationID string) (*techx.Challenge, *techx.Deal, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.db.Now()
	var d *techx.Deal
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		r, err := loadChallenge(tx, challengeID, true)
		if err != nil {
			return err
		}
		if ok, err := canSeeChallenge(tx, u, r); err != nil {
			return err
		} else if !ok {
			return notFound("challenge")
		}
		if u.OrgID != r.OrgID {
			return techx.Errorf(techx.EFORBIDDEN, "Only the challenge's organization awards it.")
		}
		if r.Status != techx.ChallengeOpen {
			return techx.Errorf(techx.ECONFLICT, "The challenge is already closed.")
		}
		var app applicationRow
		if err := tx.Where("id = ? AND challenge_id = ?", applicationID, challengeID).Omit("org_name").Take(&app).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return notFound("application")
		} else if err != nil {
			return err
		}
		nr, err := loadNeed(tx, r.NeedID, true)
		if err != nil {
			return err
		}
		if nr.Status != techx.StatusPublished {
			return techx.Errorf(techx.ECONFLICT, "The need is %s; only a published need's challenge is awarded.", nr.Status)
		}
		var x *techx.Result
		mode := "co-develop"
		if app.ResultID != nil {
			rr, err := loadResult(tx, *app.ResultID, true)
			if err != nil {
				return err
			}
			if rr.Status == techx.StatusWithdrawn || rr.Status == techx.StatusTransferred {
				return techx.Errorf(techx.ECONFLICT, "The application's result is %s.", rr.Status)
			}
			x = rr.domain()
			if len(x.TransferModes) > 0 {
				mode = x.TransferModes[0]
			}
		} else if x, err = draftFromApplication(tx, &app, nr, mode, now); err != nil {
			return err
		}
		d = &techx.Deal{ID: newID(), NeedID: nr.ID, ResultID: x.ID, NeedOrgID: nr.OrgID, ResultOrgID: x.OrgID, NeedTitle: nr.Title,
			ResultTitle: x.Title, Industry: nr.Industry, Stage: techx.StageNegotiating, Mode: mode, OpenedBy: u.ID,
			OpenedSide: techx.SideNeed, ChallengeID: challengeID, CreatedAt: now, UpdatedAt: now, LastActivityAt: now}
		if err := openDeal(tx, d, "揭榜挂帅授榜"); err != nil {
			return err
		}
		if err := tx.Exec("UPDATE challenges SET status = ?, awarded_application_id = ?, deal_id = ?, awarded_at = ?, updated_at = ? WHERE id = ?",
			techx.ChallengeClosed, app.ID, d.ID, now, now, challengeID).Error; err != nil {
			return err
		}
		winners, err := orgMembers(tx, app.OrgID)
		if err != nil {
			return err
		}
		return notify(tx, now, winners, u.ID, techx.Notification{Kind: techx.NotifyAward, ChallengeID: challengeID, DealID: d.ID,
			Message: "您的揭榜申请「" + nr.Title + "」已获授榜，撮合进入洽谈阶段"})
	})
	if err != nil {
		return nil, nil, dbError(err)
	}
	g := s.db.gorm.WithContext(ctx)
	r, err := loadChallenge(g, challengeID, false)
	if err != nil {
		return nil, nil, dbError(err)
	}
	return r.domain(), d, nil
}

// draftFromApplication creates, in tx, the draft result an award opens a
// deal on when the application named none.
func draftFromApplication(tx *gorm.DB, app *applicationRow, nr *needRow, mode string, now time.Time) (*techx.Result, error) {
	var org struct {
		Name         string
		County       string
		SourceRegion string
	}
	if err := tx.Raw("SELECT name, county, source_region FROM organizations WHERE id = ?", app.OrgID).Scan(&org).Error; err != nil {
		return nil, err
	}
	title := "揭榜方案：" + nr.Title
	if utf8.RuneCountInString(title) > techx.MaxTitle {
		title = string([]rune(title)[:techx.MaxTitle])
	}
	x := &techx.Result{ID: newID(), OrgID: app.OrgID, Institution: org.Name, CreatedBy: app.CreatedBy, Title: title,
		Abstract: app.Proposal, SourceRegion: org.SourceRegion, TRL: app.PlannedTRL, TransferModes: []string{mode},
		PatentNos: []string{}, Keywords: []string{}, Industry: nr.Industry, Status: techx.StatusDraft, CreatedAt: now, UpdatedAt: now}
	if x.SourceRegion == "" && org.County != "" {
		x.SourceRegion = "hebei"
	}
	if app.PriceWan != nil {
		w := techx.Wan(*app.PriceWan)
		x.PriceWan = &w
	}
	if err := tx.Omit("org_name").Create(resultToRow(x)).Error; err != nil {
		return nil, err
	}
	return x, appendOutbox(tx, techx.KindResult, x.ID, now)
}
