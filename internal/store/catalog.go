package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/techx-cz/techx/internal/techx"
)

// jsonList is a []string stored as a JSON array in a TEXT column.
type jsonList []string

func (l jsonList) text() string {
	if l == nil {
		l = jsonList{}
	}
	b, _ := json.Marshal([]string(l))
	return string(b)
}

func parseList(s string) []string {
	var out []string
	if s == "" {
		return []string{}
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil || out == nil {
		return []string{}
	}
	return out
}

type needRow struct {
	ID               string
	OrgID            string
	CreatedBy        string
	Title            string
	Description      string
	Industry         string
	County           string
	Keywords         string
	BudgetWan        *int64
	MinTRL           int `gorm:"column:min_trl"`
	Bottleneck       bool
	CooperationModes string
	Deadline         *string
	Confidential     bool
	Status           string
	ValidUntil       *time.Time
	PublishedAt      *time.Time
	SortAt           time.Time
	ModerationReason string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	OrgName          string `gorm:"->;column:org_name"`
}

func (needRow) TableName() string { return "needs" }

func (r *needRow) domain() *techx.Need {
	n := &techx.Need{ID: r.ID, OrgID: r.OrgID, OrgName: r.OrgName, CreatedBy: r.CreatedBy, Title: r.Title,
		Description: r.Description, Industry: r.Industry, County: r.County, Keywords: parseList(r.Keywords),
		MinTRL: r.MinTRL, Bottleneck: r.Bottleneck, CooperationModes: parseList(r.CooperationModes),
		Confidential: r.Confidential, Status: r.Status, ValidUntil: utcPtr(r.ValidUntil), PublishedAt: utcPtr(r.PublishedAt),
		ModerationReason: r.ModerationReason, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.BudgetWan != nil {
		w := techx.Wan(*r.BudgetWan)
		n.BudgetWan = &w
	}
	if r.Deadline != nil {
		if d, err := techx.ParseDate(*r.Deadline); err == nil {
			n.Deadline = &d
		}
	}
	return n
}

func needToRow(n *techx.Need) *needRow {
	r := &needRow{ID: n.ID, OrgID: n.OrgID, CreatedBy: n.CreatedBy, Title: n.Title, Description: n.Description,
		Industry: n.Industry, County: n.County, Keywords: jsonList(n.Keywords).text(), MinTRL: n.MinTRL,
		Bottleneck: n.Bottleneck, CooperationModes: jsonList(n.CooperationModes).text(), Confidential: n.Confidential,
		Status: n.Status, ValidUntil: n.ValidUntil, PublishedAt: n.PublishedAt, ModerationReason: n.ModerationReason,
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
	if n.BudgetWan != nil {
		v := int64(*n.BudgetWan)
		r.BudgetWan = &v
	}
	if n.Deadline != nil {
		s := n.Deadline.String()
		r.Deadline = &s
	}
	r.SortAt = n.CreatedAt
	if n.PublishedAt != nil {
		r.SortAt = *n.PublishedAt
	}
	return r
}

type resultRow struct {
	ID               string
	OrgID            string
	CreatedBy        string
	Title            string
	Abstract         string
	SourceRegion     string
	TRL              int `gorm:"column:trl"`
	TransferModes    string
	PriceWan         *int64
	PatentNos        string
	Keywords         string
	Industry         string
	Status           string
	ValidUntil       *time.Time
	PublishedAt      *time.Time
	SortAt           time.Time
	ModerationReason string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	OrgName          string `gorm:"->;column:org_name"`
}

func (resultRow) TableName() string { return "results" }

func (r *resultRow) domain() *techx.Result {
	x := &techx.Result{ID: r.ID, OrgID: r.OrgID, Institution: r.OrgName, CreatedBy: r.CreatedBy, Title: r.Title,
		Abstract: r.Abstract, SourceRegion: r.SourceRegion, TRL: r.TRL, TransferModes: parseList(r.TransferModes),
		PatentNos: parseList(r.PatentNos), Keywords: parseList(r.Keywords), Industry: r.Industry, Status: r.Status,
		ValidUntil: utcPtr(r.ValidUntil), PublishedAt: utcPtr(r.PublishedAt), ModerationReason: r.ModerationReason,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.PriceWan != nil {
		w := techx.Wan(*r.PriceWan)
		x.PriceWan = &w
	}
	return x
}

func resultToRow(x *techx.Result) *resultRow {
	r := &resultRow{ID: x.ID, OrgID: x.OrgID, CreatedBy: x.CreatedBy, Title: x.Title, Abstract: x.Abstract,
		SourceRegion: x.SourceRegion, TRL: x.TRL, TransferModes: jsonList(x.TransferModes).text(),
		PatentNos: jsonList(x.PatentNos).text(), Keywords: jsonList(x.Keywords).text(), Industry: x.Industry,
		Status: x.Status, ValidUntil: x.ValidUntil, PublishedAt: x.PublishedAt, ModerationReason: x.ModerationReason,
		CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
	if x.PriceWan != nil {
		v := int64(*x.PriceWan)
		r.PriceWan = &v
	}
	r.SortAt = x.CreatedAt
	if x.PublishedAt != nil {
		r.SortAt = *x.PublishedAt
	}
	return r
}

// appendOutbox records, in tx, that the listing changed.
func appendOutbox(tx *gorm.DB, kind, id string, now time.Time) error {
	return tx.Exec("INSERT INTO outbox (kind, entity_id, created_at) VALUES (?, ?, ?)", kind, id, now).Error
}

// CatalogService implements techx.CatalogService.
type CatalogService struct {
	db *DB
	tx *techx.Taxonomy
}

// NewCatalogService returns a CatalogService on db.
func NewCatalogService(db *DB, tx *techx.Taxonomy) *CatalogService {
	return &CatalogService{db: db, tx: tx}
}

var _ techx.CatalogService = (*CatalogService)(nil)

func viewer(ctx context.Context) techx.Viewer { return techx.Viewer{User: techx.UserFromContext(ctx)} }

func notFound(kind string) error {
	return techx.Errorf(techx.ENOTFOUND, "No such %s.", kind)
}

// loadNeed reads one need row (with its organization's name) in g.
func loadNeed(g *gorm.DB, id string, lock bool) (*needRow, error) {
	var r needRow
	q := g.Table("needs").Select("needs.*, organizations.name AS org_name").
		Joins("JOIN organizations ON organizations.id = needs.org_id").Where("needs.id = ?", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "needs"}})
	}
	if err := q.Take(&r).Error; err == gorm.ErrRecordNotFound {
		return nil, notFound(techx.KindNeed)
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

func loadResult(g *gorm.DB, id string, lock bool) (*resultRow, error) {
	var r resultRow
	q := g.Table("results").Select("results.*, organizations.name AS org_name").
		Joins("JOIN organizations ON organizations.id = results.org_id").Where("results.id = ?", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "results"}})
	}
	if err := q.Take(&r).Error; err == gorm.ErrRecordNotFound {
		return nil, notFound(techx.KindResult)
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

// newNeed builds a draft need of u's organization from in; the county
// defaults to the organization's.
func newNeed(u *techx.User, in *techx.NeedInput, tx *techx.Taxonomy, now time.Time) (*techx.Need, error) {
	n := &techx.Need{ID: newID(), OrgID: u.OrgID, CreatedBy: u.ID, Status: techx.StatusDraft, CreatedAt: now, UpdatedAt: now,
		Keywords: []string{}, CooperationModes: []string{}}
	if u.Organization != nil {
		n.County, n.OrgName = u.Organization.County, u.Organization.Name
	}
	if err := techx.ApplyNeedInput(n, in, tx, true); err != nil {
		return nil, err
	}
	if n.County == "" {
		return nil, &techx.Error{Code: techx.EINVALID, Message: "The request has invalid fields.",
			Fields: []techx.FieldError{{Field: "county", Message: "is required (the organization has no Cangzhou county)"}}}
	}
	return n, nil
}

// newResult builds a draft result of u's organization from in; the
// institution is the organization, the source region defaults to its
// region (hebei for an institution in Cangzhou).
func newResult(u *techx.User, in *techx.ResultInput, tx *techx.Taxonomy, now time.Time) (*techx.Result, error) {
	x := &techx.Result{ID: newID(), OrgID: u.OrgID, CreatedBy: u.ID, Status: techx.StatusDraft, CreatedAt: now, UpdatedAt: now,
		TransferModes: []string{}, PatentNos: []string{}, Keywords: []string{}}
	if u.Organization != nil {
		x.Institution, x.SourceRegion = u.Organization.Name, u.Organization.SourceRegion
		if x.SourceRegion == "" && u.Organization.County != "" {
			x.SourceRegion = "hebei"
		}
	}
	if err := techx.ApplyResultInput(x, in, tx, true); err != nil {
		return nil, err
	}
	return x, nil
}

// CreateNeed implements techx.CatalogService: enterprise users create
// needs for their own organization, as drafts.
func (s *CatalogService) CreateNeed(ctx context.Context, in *techx.NeedInput) (*techx.Need, error) {
	u := techx.UserFromContext(ctx)
	if u == nil || u.Role != techx.RoleEnterprise {
		return nil, techx.Errorf(techx.EFORBIDDEN, "Only enterprise users post needs.")
	}
	now := s.db.Now()
	n, err := newNeed(u, in, s.tx, now)
	if err != nil {
		return nil, err
	}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(needToRow(n)).Error; err != nil {
			return err
		}
		return appendOutbox(tx, techx.KindNeed, n.ID, now)
	})
	return n, dbError(err)
}

// FindNeedByID implements techx.CatalogService.
func (s *CatalogService) FindNeedByID(ctx context.Context, id string) (*techx.Need, error) {
	g := s.db.gorm.WithContext(ctx)
	r, err := loadNeed(g, id, false)
	if err != nil {
		return nil, dbError(err)
	}
	// The result side of an accepted deal keeps seeing the need once it
	// is matched (deal.go).
	if v := viewer(ctx); !v.CanSee(r.OrgID, r.Status) && (r.Status == techx.StatusDraft || !acceptedDealParty(g, id, v.User)) {
		return nil, notFound(techx.KindNeed)
	}
	return r.domain(), nil
}

// UpdateNeed implements techx.CatalogService.
func (s *CatalogService) UpdateNeed(ctx context.Context, id string, in *techx.NeedInput) (*techx.Need, error) {
	return s.changeNeed(ctx, id, func(n *techx.Need) error {
		if n.Status == techx.StatusClosed {
			return techx.Errorf(techx.ECONFLICT, "A closed need cannot be edited.")
		}
		return techx.ApplyNeedInput(n, in, s.tx, false)
	})
}

// NeedAction implements techx.CatalogService.
func (s *CatalogService) NeedAction(ctx context.Context, id, action, reason string) (*techx.Need, error) {
	v := viewer(ctx)
	return s.changeNeedAs(ctx, id, action == techx.ActionUnpublish && v.User.IsAdmin(), func(n *techx.Need) error {
		to, err := techx.Transition(techx.KindNeed, n.Status, action)
		if err != nil {
			return err
		}
		now := s.db.Now()
		switch action {
		case techx.ActionPublish:
			if n.Deadline != nil && n.Deadline.Before(now) {
				return &techx.Error{Code: techx.EINVALID, Message: "The deadline has passed; change it before publishing.",
					Fields: []techx.FieldError{{Field: "deadline", Message: "is in the past"}}}
			}
			n.PublishedAt, n.ModerationReason = &now, ""
			fallthrough
		case techx.ActionRenew:
			vu := now.Add(techx.ListingValidity)
			n.ValidUntil = &vu
		case techx.ActionUnpublish:
			if !v.IsMember(n.OrgID) && strings.TrimSpace(reason) == "" {
				return &techx.Error{Code: techx.EINVALID, Message: "Moderation needs a reason.",
					Fields: []techx.FieldError{{Field: "reason", Message: "is required"}}}
			}
			n.ModerationReason = strings.TrimSpace(reason)
		}
		n.Status = to
		return nil
	})
}

func (s *CatalogService) changeNeed(ctx context.Context, id string, fn func(*techx.Need) error) (*techx.Need, error) {
	return s.changeNeedAs(ctx, id, false, fn)
}

// changeNeedAs loads the need under a row lock, checks the caller may
// change it (members; or moderators when moderate), applies fn, and
// writes it and an outbox row in one transaction.
func (s *CatalogService) changeNeedAs(ctx context.Context, id string, moderate bool, fn func(*techx.Need) error) (*techx.Need, error) {
	v := viewer(ctx)
	var out *techx.Need
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		r, err := loadNeed(tx, id, true)
		if err != nil {
			return err
		}
		if !v.CanSee(r.OrgID, r.Status) {
			return notFound(techx.KindNeed)
		}
		if !v.CanEdit(r.OrgID) && !moderate {
			return techx.Errorf(techx.EFORBIDDEN, "Only members of the organization that posted this need may change it.")
		}
		n := r.domain()
		if err := fn(n); err != nil {
			return err
		}
		n.UpdatedAt = s.db.Now()
		row := needToRow(n)
		if err := tx.Select("*").Omit("org_name").Save(row).Error; err != nil {
			return err
		}
		out = n
		return appendOutbox(tx, techx.KindNeed, n.ID, n.UpdatedAt)
	})
	return out, dbError(err)
}

// DeleteNeed implements techx.CatalogService: only drafts are deleted; a
// published need is closed instead.
func (s *CatalogService) DeleteNeed(ctx context.Context, id string) error {
	return s.deleteDraft(ctx, techx.KindNeed, id, func(tx *gorm.DB) (string, string, error) {
		r, err := loadNeed(tx, id, true)
		if err != nil {
			return "", "", err
		}
		return r.OrgID, r.Status, nil
	})
}

// deleteDraft deletes a draft listing of kind that the caller's
// organization owns, with its outbox row, in one transaction; load reads
// the listing's organization and status under a row lock.
func (s *CatalogService) deleteDraft(ctx context.Context, kind, id string, load func(tx *gorm.DB) (orgID, status string, err error)) error {
	v := viewer(ctx)
	return dbError(s.db.tx(ctx, func(tx *gorm.DB) error {
		orgID, status, err := load(tx)
		if err != nil {
			return err
		}
		if !v.CanSee(orgID, status) {
			return notFound(kind)
		}
		if !v.CanEdit(orgID) {
			return techx.Errorf(techx.EFORBIDDEN, "Only members of the organization that owns this %s may delete it.", kind)
		}
		if status != techx.StatusDraft {
			return techx.Errorf(techx.ECONFLICT, "Only drafts can be deleted; this %s is %s (close or withdraw it instead).", kind, status)
		}
		table := map[string]string{techx.KindNeed: "needs", techx.KindResult: "results"}[kind]
		if err := tx.Exec("DELETE FROM "+table+" WHERE id = ?", id).Error; err != nil {
			return err
		}
		return appendOutbox(tx, kind, id, s.db.Now())
	}))
}

// CreateResult implements techx.CatalogService: institution users create
// results for their own organization, as drafts.
func (s *CatalogService) CreateResult(ctx context.Context, in *techx.ResultInput) (*techx.Result, error) {
	u := techx.UserFromContext(ctx)
	if u == nil || u.Role != techx.RoleInstitution {
		return nil, techx.Errorf(techx.EFORBIDDEN, "Only institution users list results.")
	}
	now := s.db.Now()
	x, err := newResult(u, in, s.tx, now)
	if err != nil {
		return nil, err
	}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(resultToRow(x)).Error; err != nil {
			return err
		}
		return appendOutbox(tx, techx.KindResult, x.ID, now)
	})
	return x, dbError(err)
}

// FindResultByID implements techx.CatalogService.
func (s *CatalogService) FindResultByID(ctx context.Context, id string) (*techx.Result, error) {
	r, err := loadResult(s.db.gorm.WithContext(ctx), id, false)
	if err != nil {
		return nil, dbError(err)
	}
	if !viewer(ctx).CanSee(r.OrgID, r.Status) {
		return nil, notFound(techx.KindResult)
	}
	return r.domain(), nil
}

// UpdateResult implements techx.CatalogService.
func (s *CatalogService) UpdateResult(ctx context.Context, id string, in *techx.ResultInput) (*techx.Result, error) {
	return s.changeResult(ctx, id, false, func(x *techx.Result) error {
		if x.Status == techx.StatusWithdrawn || x.Status == techx.StatusTransferred {
			return techx.Errorf(techx.ECONFLICT, "A %s result cannot be edited.", x.Status)
		}
		return techx.ApplyResultInput(x, in, s.tx, false)
	})
}

// ResultAction implements techx.CatalogService.
func (s *CatalogService) ResultAction(ctx context.Context, id, action, reason string) (*techx.Result, error) {
	v := viewer(ctx)
	return s.changeResult(ctx, id, action == techx.ActionUnpublish && v.User.IsAdmin(), func(x *techx.Result) error {
		to, err := techx.Transition(techx.KindResult, x.Status, action)
		if err != nil {
			return err
		}
		now := s.db.Now()
		switch action {
		case techx.ActionPublish:
			x.PublishedAt, x.ModerationReason = &now, ""
			fallthrough
		case techx.ActionRenew:
			vu := now.Add(techx.ListingValidity)
			x.ValidUntil = &vu
		case techx.ActionUnpublish:
			if !v.IsMember(x.OrgID) && strings.TrimSpace(reason) == "" {
				return &techx.Error{Code: techx.EINVALID, Message: "Moderation needs a reason.",
					Fields: []techx.FieldError{{Field: "reason", Message: "is required"}}}
			}
			x.ModerationReason = strings.TrimSpace(reason)
		}
		x.Status = to
		return nil
	})
}

func (s *CatalogService) changeResult(ctx context.Context, id string, moderate bool, fn func(*techx.Result) error) (*techx.Result, error) {
	v := viewer(ctx)
	var out *techx.Result
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		r, err := loadResult(tx, id, true)
		if err != nil {
			return err
		}
		if !v.CanSee(r.OrgID, r.Status) {
			return notFound(techx.KindResult)
		}
		if !v.CanEdit(r.OrgID) && !moderate {
			return techx.Errorf(techx.EFORBIDDEN, "Only members of the organization that listed this result may change it.")
		}
		x := r.domain()
		if err := fn(x); err != nil {
			return err
		}
		x.UpdatedAt = s.db.Now()
		if err := tx.Select("*").Omit("org_name").Save(resultToRow(x)).Error; err != nil {
			return err
		}
		out = x
		return appendOutbox(tx, techx.KindResult, x.ID, x.UpdatedAt)
	})
	return out, dbError(err)
}

// DeleteResult implements techx.CatalogService: only drafts are deleted.
func (s *CatalogService) DeleteResult(ctx context.Context, id string) error {
	return s.deleteDraft(ctx, techx.KindResult, id, func(tx *gorm.DB) (string, string, error) {
		r, err := loadResult(tx, id, true)
		if err != nil {
			return "", "", err
		}
		return r.OrgID, r.Status, nil
	})
}

// cursor is the keyset position of a list page.
type cursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

func encodeCursor(t time.Time, id string) string {
	b, _ := json.Marshal(cursor{T: t.UTC(), ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a list cursor; a bad one is EINVALID.
func DecodeCursor(s string) (time.Time, string, error) {
	bad := &techx.Error{Code: techx.EINVALID, Message: "The cursor is not valid; start again without it.",
		Fields: []techx.FieldError{{Field: "cursor", Message: "is not a cursor this API gave out"}}}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 200 {
		return time.Time{}, "", bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.T.IsZero() {
		return time.Time{}, "", bad
	}
	return c.T.UTC(), c.ID, nil
}

// trimPage cuts a page fetched with one extra row back to size and returns
// the cursor of the next page ("" on the last page).
func trimPage[T any](rows []T, size int, key func(T) (time.Time, string)) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	t, id := key(rows[len(rows)-1])
	return rows, encodeCursor(t, id)
}

// likePattern escapes q for a LIKE … ESCAPE '\' substring match.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(q)) + "%"
}

// visibility restricts table t to what v may see.
func visibility(q *gorm.DB, t string, v techx.Viewer) *gorm.DB {
	switch {
	case v.User.IsAdmin():
		return q
	case v.User.IsStaff():
		return q.Where(t+".status <> ? OR "+t+".org_id = ?", techx.StatusDraft, v.User.OrgID)
	case v.User != nil:
		return q.Where(t+".status = ? OR "+t+".org_id = ?", techx.StatusPublished, v.User.OrgID)
	}
	return q.Where(t+".status = ?", techx.StatusPublished)
}

// page applies the keyset cursor and the order of a listing table, and
// counts the total.
func page(q *gorm.DB, t string, f techx.ListingFilter) (*gorm.DB, int, error) {
	return keysetPage(q, t+".sort_at", t+".id", f.Cursor, f.PageSize)
}

// keysetPage counts the rows of q, applies the cursor (a position in
// timeCol DESC, idCol DESC order) and orders and limits q to one page plus
// one row, for trimPage. Every list of the store pages this way.
func keysetPage(q *gorm.DB, timeCol, idCol, cursor string, size int) (*gorm.DB, int, error) {
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if cursor != "" {
		ts, id, err := DecodeCursor(cursor)
		if err != nil {
			return nil, 0, err
		}
		q = q.Where("("+timeCol+" < ? OR ("+timeCol+" = ? AND "+idCol+" < ?))", ts, ts, id)
	}
	return q.Order(timeCol + " DESC").Order(idCol + " DESC").Limit(size + 1), int(total), nil
}

// FindNeeds implements techx.CatalogService.
func (s *CatalogService) FindNeeds(ctx context.Context, f techx.ListingFilter) ([]*techx.Need, int, string, error) {
	v := viewer(ctx)
	q := s.db.gorm.WithContext(ctx).Table("needs").Select("needs.*, organizations.name AS org_name").
		Joins("JOIN organizations ON organizations.id = needs.org_id")
	q = visibility(q, "needs", v)
	if f.Industry != "" {
		q = q.Where("needs.industry = ?", f.Industry)
	}
	if f.County != "" {
		q = q.Where("needs.county = ?", f.County)
	}
	if f.Status != "" {
		q = q.Where("needs.status = ?", f.Status)
	}
	if f.Bottleneck != nil {
		q = q.Where("needs.bottleneck = ?", *f.Bottleneck)
	}
	if f.TRLMin > 0 {
		q = q.Where("needs.min_trl >= ?", f.TRLMin)
	}
	if f.OrgID != "" {
		q = q.Where("needs.org_id = ?", f.OrgID)
	}
	if f.Q != "" {
		p := likePattern(f.Q)
		// Confidential text is searched only for those who may read it.
		secret := "needs.confidential = ?"
		args := []any{false}
		switch {
		case v.User.IsStaff():
			secret, args = "1 = 1", nil
		case v.User != nil:
			secret, args = "(needs.confidential = ? OR needs.org_id = ?)", []any{false, v.User.OrgID}
		}
		q = q.Where("(LOWER(needs.title) LIKE ? ESCAPE '\\' OR ("+secret+" AND (LOWER(needs.description) LIKE ? ESCAPE '\\' OR LOWER(needs.keywords) LIKE ? ESCAPE '\\')))",
			append(append([]any{p}, args...), p, p)...)
	}
	q, total, err := page(q, "needs", f)
	if err != nil {
		return nil, 0, "", dbError(err)
	}
	var rows []needRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	rows, next := trimPage(rows, f.PageSize, func(r needRow) (time.Time, string) { return r.SortAt, r.ID })
	out := make([]*techx.Need, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, total, next, nil
}

// FindResults implements techx.CatalogService.
func (s *CatalogService) FindResults(ctx context.Context, f techx.ListingFilter) ([]*techx.Result, int, string, error) {
	v := viewer(ctx)
	q := s.db.gorm.WithContext(ctx).Table("results").Select("results.*, organizations.name AS org_name").
		Joins("JOIN organizations ON organizations.id = results.org_id")
	q = visibility(q, "results", v)
	if f.Industry != "" {
		q = q.Where("results.industry = ?", f.Industry)
	}
	if f.SourceRegion != "" {
		q = q.Where("results.source_region = ?", f.SourceRegion)
	}
	if f.Status != "" {
		q = q.Where("results.status = ?", f.Status)
	}
	if f.TRLMin > 0 {
		q = q.Where("results.trl >= ?", f.TRLMin)
	}
	if f.OrgID != "" {
		q = q.Where("results.org_id = ?", f.OrgID)
	}
	if f.Q != "" {
		p := likePattern(f.Q)
		q = q.Where("(LOWER(results.title) LIKE ? ESCAPE '\\' OR LOWER(results.abstract) LIKE ? ESCAPE '\\' OR LOWER(results.keywords) LIKE ? ESCAPE '\\')", p, p, p)
	}
	q, total, err := page(q, "results", f)
	if err != nil {
		return nil, 0, "", dbError(err)
	}
	var rows []resultRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	rows, next := trimPage(rows, f.PageSize, func(r resultRow) (time.Time, string) { return r.SortAt, r.ID })
	out := make([]*techx.Result, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, total, next, nil
}
