package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/techx-cz/techx/internal/techx"
)

type dealRow struct {
	ID             string
	NeedID         string
	ResultID       string
	NeedOrgID      string
	ResultOrgID    string
	Industry       string
	BrokerID       *string
	Stage          string
	Mode           string
	LostReason     string
	OpenedBy       string
	OpenedSide     string
	ChallengeID    *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastActivityAt time.Time
	SignedAt       *time.Time
	NeedTitle      string `gorm:"->;column:need_title"`
	ResultTitle    string `gorm:"->;column:result_title"`
}

func (dealRow) TableName() string { return "deals" }

func (r *dealRow) domain() *techx.Deal {
	return &techx.Deal{ID: r.ID, NeedID: r.NeedID, ResultID: r.ResultID, NeedOrgID: r.NeedOrgID, ResultOrgID: r.ResultOrgID,
		NeedTitle: r.NeedTitle, ResultTitle: r.ResultTitle, Industry: r.Industry, BrokerID: deref(r.BrokerID), Stage: r.Stage,
		Mode: r.Mode, LostReason: r.LostReason, OpenedBy: r.OpenedBy, OpenedSide: r.OpenedSide, ChallengeID: deref(r.ChallengeID),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), LastActivityAt: r.LastActivityAt.UTC(), SignedAt: utcPtr(r.SignedAt)}
}

type dealEventRow struct {
	ID        string
	DealID    string
	Kind      string
	ActorID   string
	At        time.Time
	FromStage string
	ToStage   string
	Reason    string
	Note      string
	BrokerID  string
}

func (dealEventRow) TableName() string { return "deal_events" }

func (r *dealEventRow) domain() *techx.DealEvent {
	return &techx.DealEvent{ID: r.ID, DealID: r.DealID, Kind: r.Kind, ActorID: r.ActorID, At: r.At.UTC(), FromStage: r.FromStage,
		ToStage: r.ToStage, Reason: r.Reason, Note: r.Note, BrokerID: r.BrokerID}
}

// DealService implements techx.DealService on the database.
type DealService struct {
	db *DB
	tx *techx.Taxonomy
}

// NewDealService returns a DealService on db.
func NewDealService(db *DB, tx *techx.Taxonomy) *DealService { return &DealService{db: db, tx: tx} }

var _ techx.DealService = (*DealService)(nil)

const dealSelect = "deals.*, needs.title AS need_title, results.title AS result_title"

func dealQuery(g *gorm.DB) *gorm.DB {
	return g.Table("deals").Select(dealSelect).
		Joins("JOIN needs ON needs.id = deals.need_id").Joins("JOIN results ON results.id = deals.result_id")
}

func loadDeal(g *gorm.DB, id string, lock bool) (*dealRow, error) {
	var r dealRow
	q := dealQuery(g).Where("deals.id = ?", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "deals"}})
	}
	if err := q.Take(&r).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notFound("deal")
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

// canSeeDeal: admins, the deal's broker and members of either party.
func canSeeDeal(u *techx.User, r *dealRow) bool {
	if u == nil {
		return false
	}
	return u.IsAdmin() || (r.BrokerID != nil && *r.BrokerID == u.ID) || u.OrgID == r.NeedOrgID || u.OrgID == r.ResultOrgID
}

func dealVisibility(q *gorm.DB, u *techx.User) *gorm.DB {
	if u.IsAdmin() {
		return q
	}
	return q.Where("(deals.broker_id = ? OR deals.need_org_id = ? OR deals.result_org_id = ?)", u.ID, u.OrgID, u.OrgID)
}

func loadTimeline(g *gorm.DB, dealID string) ([]*techx.DealEvent, error) {
	var rows []dealEventRow
	if err := g.Where("deal_id = ?", dealID).Order("at").Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]*techx.DealEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

func addEvent(tx *gorm.DB, e *techx.DealEvent) error {
	e.ID = newID()
	return tx.Create(&dealEventRow{ID: e.ID, DealID: e.DealID, Kind: e.Kind, ActorID: e.ActorID, At: e.At, FromStage: e.FromStage,
		ToStage: e.ToStage, Reason: e.Reason, Note: e.Note, BrokerID: e.BrokerID}).Error
}

// dealParties returns the users told about a deal: both organizations'
// members and its broker.
func dealParties(tx *gorm.DB, d *techx.Deal) ([]string, error) {
	ids, err := orgMembers(tx, d.NeedOrgID, d.ResultOrgID)
	if d.BrokerID != "" {
		ids = append(ids, d.BrokerID)
	}
	return ids, err
}

// openDeal inserts d (with its opening timeline entry) in tx, refusing a
// second open deal on the same need–result pair.
func openDeal(tx *gorm.DB, d *techx.Deal, note string) error {
	var other []string
	if err := tx.Raw("SELECT id FROM deals WHERE need_id = ? AND result_id = ? AND stage IN ?", d.NeedID, d.ResultID,
		[]string{techx.StageProposed, techx.StageContacted, techx.StageNegotiating}).Scan(&other).Error; err != nil {
		return err
	}
	if len(other) > 0 {
		return techx.Errorf(techx.ECONFLICT, "There is already an open deal (%s) on this need and result.", other[0])
	}
	row := &dealRow{ID: d.ID, NeedID: d.NeedID, ResultID: d.ResultID, NeedOrgID: d.NeedOrgID, ResultOrgID: d.ResultOrgID,
		Industry: d.Industry, BrokerID: strPtr(d.BrokerID), Stage: d.Stage, Mode: d.Mode, OpenedBy: d.OpenedBy,
		OpenedSide: d.OpenedSide, ChallengeID: strPtr(d.ChallengeID), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		LastActivityAt: d.LastActivityAt}
	if err := tx.Omit("need_title", "result_title").Create(row).Error; err != nil {
		if isUniqueViolation(err) {
			return techx.Errorf(techx.ECONFLICT, "There is already an open deal on this need and result.")
		}
		return err
	}
	e := &techx.DealEvent{DealID: d.ID, Kind: techx.EventOpened, ActorID: d.OpenedBy, At: d.CreatedAt, ToStage: d.Stage, Note: note}
	if err := addEvent(tx, e); err != nil {
		return err
	}
	d.Timeline = []*techx.DealEvent{e}
	return nil
}

// CreateDeal implements techx.DealService.
func (s *DealService) CreateDeal(ctx context.Context, in *techx.NewDeal) (*techx.Deal, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(s.tx); err != nil {
		return nil, err
	}
	v := techx.Viewer{User: u}
	now := s.db.Now()
	var d *techx.Deal
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		nr, err := loadNeed(tx, in.NeedID, false)
		if err != nil {
			return err
		}
		if !v.CanSee(nr.OrgID, nr.Status) {
			return notFound(techx.KindNeed)
		}
		rr, err := loadResult(tx, in.ResultID, false)
		if err != nil {
			return err
		}
		if !v.CanSee(rr.OrgID, rr.Status) {
			return notFound(techx.KindResult)
		}
		side := ""
		switch {
		case u.OrgID == nr.OrgID:
			side = techx.SideNeed
		case u.OrgID == rr.OrgID:
			side = techx.SideResult
		case u.IsStaff():
			side = techx.SideBroker
		default:
			return techx.Errorf(techx.EFORBIDDEN, "Only brokers and members of the need's or the result's organization open deals.")
		}
		if nr.Status != techx.StatusPublished {
			return techx.Errorf(techx.ECONFLICT, "Deals are opened on published needs; this need is %s.", nr.Status)
		}
		if rr.Status != techx.StatusPublished {
			return techx.Errorf(techx.ECONFLICT, "Deals are opened on published results; this result is %s.", rr.Status)
		}
		mode := in.Mode
		if mode == "" {
			modes := parseList(rr.TransferModes)
			if len(modes) == 0 {
				return &techx.Error{Code: techx.EINVALID, Message: "The request has invalid fields.",
					Fields: []techx.FieldError{{Field: "mode", Message: "is required: the result names no transfer modes"}}}
			}
			mode = modes[0]
		}
		d = &techx.Deal{ID: newID(), NeedID: nr.ID, ResultID: rr.ID, NeedOrgID: nr.OrgID, ResultOrgID: rr.OrgID,
			NeedTitle: nr.Title, ResultTitle: rr.Title, Industry: nr.Industry, Stage: techx.StageProposed, Mode: mode,
			OpenedBy: u.ID, OpenedSide: side, CreatedAt: now, UpdatedAt: now, LastActivityAt: now}
		if u.Role == techx.RoleBroker {
			d.BrokerID = u.ID
		}
		if err := openDeal(tx, d, in.Note); err != nil {
			return err
		}
		users, err := dealParties(tx, d)
		if err != nil {
			return err
		}
		return notify(tx, now, users, u.ID, techx.Notification{Kind: techx.NotifyDealOpened, DealID: d.ID,
			Message: "新的撮合：「" + d.NeedTitle + "」×「" + d.ResultTitle + "」"})
	})
	if err != nil {
		return nil, dbError(err)
	}
	return d, nil
}

// FindDealByID implements techx.DealService.
func (s *DealService) FindDealByID(ctx context.Context, id string) (*techx.Deal, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	g := s.db.gorm.WithContext(ctx)
	r, err := loadDeal(g, id, false)
	if err != nil {
		return nil, dbError(err)
	}
	if !canSeeDeal(u, r) {
		return nil, notFound("deal")
	}
	d := r.domain()
	if d.Timeline, err = loadTimeline(g, id); err != nil {
		return nil, dbError(err)
	}
	return d, nil
}

// FindDeals implements techx.DealService.
func (s *DealService) FindDeals(ctx context.Context, f techx.DealFilter) ([]*techx.Deal, int, string, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	var v techx.Validation
	v.Check(f.Stage == "" || techx.IsDealStage(f.Stage), "stage", "unknown stage %q", f.Stage)
	v.Check(f.Industry == "" || s.tx.IsIndustry(f.Industry), "industry", "unknown industry code %q", f.Industry)
	v.Check(f.IdleDays >= 0 && f.IdleDays <= 3650, "idle_days", "must be 1 to 3650")
	if err := v.Err(); err != nil {
		return nil, 0, "", err
	}
	q := dealVisibility(dealQuery(s.db.gorm.WithContext(ctx)), u)
	if f.Stage != "" {
		q = q.Where("deals.stage = ?", f.Stage)
	}
	if f.BrokerID != "" {
		q = q.Where("deals.broker_id = ?", f.BrokerID)
	}
	if f.Industry != "" {
		q = q.Where("deals.industry = ?", f.Industry)
	}
	if f.IdleDays > 0 {
		q = q.Where("deals.stage IN ? AND deals.last_activity_at <= ?",
			[]string{techx.StageProposed, techx.StageContacted, techx.StageNegotiating},
			s.db.Now().Add(-time.Duration(f.IdleDays)*24*time.Hour))
	}
	q, total, err := keysetPage(q, "deals.created_at", "deals.id", f.Cursor, f.PageSize)
	if err != nil {
		return nil, 0, "", dbError(err)
	}
	var rows []dealRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	rows, next := trimPage(rows, f.PageSize, func(r dealRow) (time.Time, string) { return r.CreatedAt, r.ID })
	out := make([]*techx.Deal, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, total, next, nil
}

// changeDeal loads the deal under a row lock, checks the caller sees it,
// runs fn, and saves the deal's mutable columns, in one transaction.
func (s *DealService) changeDeal(ctx context.Context, id string, fn func(tx *gorm.DB, u *techx.User, d *techx.Deal, now time.Time) error) (*techx.Deal, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var d *techx.Deal
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		r, err := loadDeal(tx, id, true)
		if err != nil {
			return err
		}
		if !canSeeDeal(u, r) {
			return notFound("deal")
		}
		d = r.domain()
		now := s.db.Now()
		if err := fn(tx, u, d, now); err != nil {
			return err
		}
		d.UpdatedAt, d.LastActivityAt = now, now
		if err := tx.Exec(`UPDATE deals SET stage = ?, lost_reason = ?, broker_id = ?, opened_side = ?, signed_at = ?,
			updated_at = ?, last_activity_at = ? WHERE id = ?`, d.Stage, d.LostReason, strPtr(d.BrokerID), d.OpenedSide,
			d.SignedAt, d.UpdatedAt, d.LastActivityAt, d.ID).Error; err != nil {
			return err
		}
		d.Timeline, err = loadTimeline(tx, d.ID)
		return err
	})
	if err != nil {
		return nil, dbError(err)
	}
	return d, nil
}

// MoveDeal implements techx.DealService.
func (s *DealService) MoveDeal(ctx context.Context, id string, m *techx.StageMove) (*techx.Deal, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return s.changeDeal(ctx, id, func(tx *gorm.DB, u *techx.User, d *techx.Deal, now time.Time) error {
		from := d.Stage
		if err := techx.CheckStageMove(from, m.Stage, u.IsStaff()); err != nil {
			return err
		}
		// Disclosure by consent: a deal the need's side did not open waits
		// for the need's organization to accept it.
		if from == techx.StageProposed && m.Stage == techx.StageContacted && d.OpenedSide != techx.SideNeed &&
			u.OrgID != d.NeedOrgID && !u.IsAdmin() {
			return techx.Errorf(techx.EFORBIDDEN, "Only the need's organization accepts this deal (moves it to contacted).")
		}
		switch m.Stage {
		case techx.StageLost:
			d.LostReason = m.Reason
		case techx.StageProposed: // reopened: waits for the need's acceptance again
			d.LostReason, d.OpenedSide = "", techx.SideBroker
		case techx.StageSigned:
			d.SignedAt = &now
			if err := signListings(tx, d, now); err != nil {
				return err
			}
		}
		d.Stage = m.Stage
		if err := addEvent(tx, &techx.DealEvent{DealID: d.ID, Kind: techx.EventStage, ActorID: u.ID, At: now, FromStage: from,
			ToStage: m.Stage, Reason: m.Reason, Note: m.Note}); err != nil {
			return err
		}
		users, err := dealParties(tx, d)
		if err != nil {
			return err
		}
		return notify(tx, now, users, u.ID, techx.Notification{Kind: techx.NotifyDealStage, DealID: d.ID,
			Message: "撮合「" + d.NeedTitle + "」×「" + d.ResultTitle + "」：" + from + " → " + m.Stage})
	})
}

// signListings applies a signed deal to its listings, in the deal's
// transaction: the need becomes matched (it may be already, by another
// deal), and the result transferred when the deal's mode is a transfer.
func signListings(tx *gorm.DB, d *techx.Deal, now time.Time) error {
	nr, err := loadNeed(tx, d.NeedID, true)
	if err != nil {
		return err
	}
	if nr.Status != techx.StatusMatched {
		if err := applyListingAction(tx, nr.domain(), nil, techx.ActionMatch, now); err != nil {
			return err
		}
	}
	if d.Mode != "transfer" {
		return nil
	}
	rr, err := loadResult(tx, d.ResultID, true)
	if err != nil {
		return err
	}
	return applyListingAction(tx, nil, rr.domain(), techx.ActionTransfer, now)
}

// applyListingAction moves a need or a result (the one not nil) by action,
// saving it with an outbox row in tx. Refused transitions are ECONFLICT.
func applyListingAction(tx *gorm.DB, n *techx.Need, x *techx.Result, action string, now time.Time) error {
	if n != nil {
		to, err := techx.Transition(techx.KindNeed, n.Status, action)
		if err != nil {
			return err
		}
		n.Status, n.UpdatedAt = to, now
		if err := tx.Select("*").Omit("org_name").Save(needToRow(n)).Error; err != nil {
			return err
		}
		return appendOutbox(tx, techx.KindNeed, n.ID, now)
	}
	to, err := techx.Transition(techx.KindResult, x.Status, action)
	if err != nil {
		return err
	}
	x.Status, x.UpdatedAt = to, now
	if err := tx.Select("*").Omit("org_name").Save(resultToRow(x)).Error; err != nil {
		return err
	}
	return appendOutbox(tx, techx.KindResult, x.ID, now)
}

// AddDealNote implements techx.DealService.
func (s *DealService) AddDealNote(ctx context.Context, id, note string) (*techx.DealEvent, error) {
	var v techx.Validation
	n := []rune(note)
	v.Check(len(n) >= 1 && len(n) <= techx.MaxNote, "note", "must be 1 to %d characters", techx.MaxNote)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var e *techx.DealEvent
	_, err := s.changeDeal(ctx, id, func(tx *gorm.DB, u *techx.User, d *techx.Deal, now time.Time) error {
		e = &techx.DealEvent{DealID: d.ID, Kind: techx.EventNote, ActorID: u.ID, At: now, Note: note}
		return addEvent(tx, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// AssignDeal implements techx.DealService.
func (s *DealService) AssignDeal(ctx context.Context, id, brokerID string) (*techx.Deal, error) {
	return s.changeDeal(ctx, id, func(tx *gorm.DB, u *techx.User, d *techx.Deal, now time.Time) error {
		var role []string
		if err := tx.Raw("SELECT role FROM users WHERE id = ?", brokerID).Scan(&role).Error; err != nil {
			return err
		}
		if len(role) == 0 || role[0] != string(techx.RoleBroker) {
			return &techx.Error{Code: techx.EINVALID, Message: "The request has invalid fields.",
				Fields: []techx.FieldError{{Field: "broker_id", Message: "is not a broker's user id"}}}
		}
		d.BrokerID = brokerID
		if err := addEvent(tx, &techx.DealEvent{DealID: d.ID, Kind: techx.EventAssign, ActorID: u.ID, At: now, BrokerID: brokerID}); err != nil {
			return err
		}
		return notify(tx, now, []string{brokerID}, u.ID, techx.Notification{Kind: techx.NotifyDealStage, DealID: d.ID,
			Message: "您被指派为撮合「" + d.NeedTitle + "」×「" + d.ResultTitle + "」的技术经理人"})
	})
}

// Pipeline implements techx.DealService.
func (s *DealService) Pipeline(ctx context.Context) (*techx.Pipeline, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != techx.RoleBroker {
		return nil, techx.Errorf(techx.EFORBIDDEN, "The pipeline is a broker's.")
	}
	g := s.db.gorm.WithContext(ctx)
	var counts []struct {
		Stage string
		N     int
	}
	if err := g.Raw("SELECT stage, COUNT(*) AS n FROM deals WHERE broker_id = ? GROUP BY stage", u.ID).Scan(&counts).Error; err != nil {
		return nil, dbError(err)
	}
	p := &techx.Pipeline{Counts: map[string]int{}, Idle: []*techx.Deal{}}
	for _, st := range techx.DealStages {
		p.Counts[st] = 0
	}
	for _, c := range counts {
		p.Counts[c.Stage] = c.N
		if techx.OpenStage(c.Stage) {
			p.Open += c.N
		}
	}
	var rows []dealRow
	open := []string{techx.StageProposed, techx.StageContacted, techx.StageNegotiating}
	if err := dealQuery(g).Where("deals.broker_id = ? AND deals.stage IN ? AND deals.last_activity_at < ?", u.ID, open,
		s.db.Now().Add(-techx.IdleAfter)).Order("deals.last_activity_at").Order("deals.id").Limit(100).Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	for i := range rows {
		p.Idle = append(p.Idle, rows[i].domain())
	}
	return p, nil
}

// DisclosedNeeds implements techx.DealService.
func (s *DealService) DisclosedNeeds(ctx context.Context, needIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	u := techx.UserFromContext(ctx)
	if u == nil || len(needIDs) == 0 {
		return out, nil
	}
	var ids []string
	if err := s.db.gorm.WithContext(ctx).Raw("SELECT DISTINCT need_id FROM deals WHERE need_id IN ? AND result_org_id = ? AND stage IN ?",
		needIDs, u.OrgID, []string{techx.StageContacted, techx.StageNegotiating, techx.StageSigned}).Scan(&ids).Error; err != nil {
		return nil, dbError(err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// acceptedDealParty reports whether u's organization is the result side of
// an accepted deal on the need, which then stays visible to it after the
// deal is signed (the need becomes matched).
func acceptedDealParty(g *gorm.DB, needID string, u *techx.User) bool {
	if u == nil {
		return false
	}
	var n int64
	err := g.Raw("SELECT COUNT(*) FROM deals WHERE need_id = ? AND result_org_id = ? AND stage IN ?", needID, u.OrgID,
		[]string{techx.StageContacted, techx.StageNegotiating, techx.StageSigned}).Scan(&n).Error
	return err == nil && n > 0
}

// FindSignedDealParties implements techx.DealLookup.
func (s *DealService) FindSignedDealParties(ctx context.Context, dealID string) (string, string, error) {
	var rows []struct {
		NeedOrgID   string
		ResultOrgID string
	}
	if err := s.db.gorm.WithContext(ctx).Raw("SELECT need_org_id, result_org_id FROM deals WHERE id = ? AND stage = ?",
		dealID, techx.StageSigned).Scan(&rows).Error; err != nil {
		return "", "", dbError(err)
	}
	if len(rows) == 0 {
		return "", "", techx.Errorf(techx.ENOTFOUND, "No signed deal %s.", strconv.Quote(dealID))
	}
	return rows[0].NeedOrgID, rows[0].ResultOrgID, nil
}
