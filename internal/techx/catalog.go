package techx

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Listing kinds.
const (
	KindNeed   = "need"
	KindResult = "result"
)

// ListingValidity is how long a published listing stays fresh.
const ListingValidity = 180 * 24 * time.Hour

// Status of needs and results.
const (
	StatusDraft       = "draft"
	StatusPublished   = "published"
	StatusMatched     = "matched"     // needs
	StatusClosed      = "closed"      // needs
	StatusTransferred = "transferred" // results
	StatusWithdrawn   = "withdrawn"   // results
)

// Catalog actions (state transitions).
const (
	ActionPublish   = "publish"
	ActionClose     = "close"
	ActionWithdraw  = "withdraw"
	ActionRenew     = "renew"
	ActionUnpublish = "unpublish"
	ActionMatch     = "match"    // a deal on the need was signed
	ActionTransfer  = "transfer" // a deal on the result was signed as a transfer
)

// transitions lists, per kind and action, the statuses it may start from
// and the status it leads to ("" = unchanged).
var transitions = map[string]map[string]struct {
	from []string
	to   string
}{
	KindNeed: {
		ActionPublish:   {[]string{StatusDraft}, StatusPublished},
		ActionClose:     {[]string{StatusPublished, StatusMatched}, StatusClosed},
		ActionRenew:     {[]string{StatusPublished}, ""},
		ActionUnpublish: {[]string{StatusPublished}, StatusDraft},
		ActionMatch:     {[]string{StatusPublished}, StatusMatched},
	},
	KindResult: {
		ActionPublish:   {[]string{StatusDraft}, StatusPublished},
		ActionWithdraw:  {[]string{StatusPublished}, StatusWithdrawn},
		ActionRenew:     {[]string{StatusPublished}, ""},
		ActionUnpublish: {[]string{StatusPublished}, StatusDraft},
		ActionTransfer:  {[]string{StatusPublished}, StatusTransferred},
	},
}

// Transition returns the status that action leads to from status, or an
// ECONFLICT error naming the statuses it is allowed from.
func Transition(kind, status, action string) (string, error) {
	t, ok := transitions[kind][action]
	if !ok {
		return "", Errorf(EINVALID, "Unknown action %q for a %s.", action, kind)
	}
	for _, f := range t.from {
		if f == status {
			if t.to == "" {
				return status, nil
			}
			return t.to, nil
		}
	}
	return "", Errorf(ECONFLICT, "Cannot %s a %s that is %s; allowed only from: %s.", action, kind, status, strings.Join(t.from, ", "))
}

// Need is a technology need (技术需求) posted by an enterprise.
type Need struct {
	ID               string
	OrgID            string
	OrgName          string
	CreatedBy        string
	Title            string
	Description      string
	Industry         string
	County           string
	Keywords         []string
	BudgetWan        *Wan
	MinTRL           int
	Bottleneck       bool
	CooperationModes []string
	Deadline         *Date
	Confidential     bool
	Status           string
	ValidUntil       *time.Time
	PublishedAt      *time.Time
	ModerationReason string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Stale reports whether a published need is past its validity.
func (n *Need) Stale(now time.Time) bool {
	return n.Status == StatusPublished && n.ValidUntil != nil && now.After(*n.ValidUntil)
}

// Result is a research result (科技成果) listed by an institution.
type Result struct {
	ID               string
	OrgID            string
	Institution      string // the organization's name
	CreatedBy        string
	Title            string
	Abstract         string
	SourceRegion     string
	TRL              int
	TransferModes    []string
	PriceWan         *Wan // nil: 面议 (price on negotiation)
	PatentNos        []string
	Keywords         []string
	Industry         string
	Status           string
	ValidUntil       *time.Time
	PublishedAt      *time.Time
	ModerationReason string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Stale reports whether a published result is past its validity.
func (r *Result) Stale(now time.Time) bool {
	return r.Status == StatusPublished && r.ValidUntil != nil && now.After(*r.ValidUntil)
}

// NeedInput holds the client-writable fields of a need, for create (all
// given fields) and PATCH (only Set fields). Server-set fields (org_id,
// status, created_by, timestamps, valid_until) are not here, so a body
// naming them is refused by the strict decoder.
type NeedInput struct {
	Title            Opt[string]   `json:"title"`
	Description      Opt[string]   `json:"description"`
	Industry         Opt[string]   `json:"industry"`
	County           Opt[string]   `json:"county"`
	Keywords         Opt[[]string] `json:"keywords"`
	BudgetWan        Opt[Wan]      `json:"budget_wan"`
	MinTRL           Opt[int]      `json:"min_trl"`
	Bottleneck       Opt[bool]     `json:"bottleneck"`
	CooperationModes Opt[[]string] `json:"cooperation_modes"`
	Deadline         Opt[Date]     `json:"deadline"`
	Confidential     Opt[bool]     `json:"confidential"`
}

// ResultInput holds the client-writable fields of a result.
type ResultInput struct {
	Title         Opt[string]   `json:"title"`
	Abstract      Opt[string]   `json:"abstract"`
	SourceRegion  Opt[string]   `json:"source_region"`
	TRL           Opt[int]      `json:"trl"`
	TransferModes Opt[[]string] `json:"transfer_modes"`
	PriceWan      Opt[Wan]      `json:"price_wan"`
	PatentNos     Opt[[]string] `json:"patent_nos"`
	Keywords      Opt[[]string] `json:"keywords"`
	Industry      Opt[string]   `json:"industry"`
}

// Limits of listing fields.
const (
	MaxTitle    = 100
	MaxText     = 5000
	MaxKeywords = 20
	MaxKeyword  = 30
	MaxPatents  = 50
)

func cleanList(v *Validation, field string, in []string, max int) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	if len(out) > max {
		v.Add(field, "at most %d entries", max)
	}
	return out
}

func checkText(v *Validation, field, s string, min, max int) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		if min > 0 {
			v.Add(field, "must be %d to %d characters (got %d)", min, max, n)
		} else {
			v.Add(field, "must be at most %d characters (got %d)", max, n)
		}
	}
	return s
}

func checkCodes(v *Validation, field string, codes []string, ok func(string) bool, what string) []string {
	out := cleanList(v, field, codes, 10)
	for _, c := range out {
		if !ok(c) {
			v.Add(field, "unknown %s code %q", what, c)
		}
	}
	return out
}

func checkNotNull[T any](v *Validation, field string, o Opt[T]) bool {
	if o.Set && o.Null {
		v.Add(field, "may not be null")
		return false
	}
	return o.Set
}

// ApplyNeedInput validates in and writes its set fields into n. create
// requires the mandatory fields.
func ApplyNeedInput(n *Need, in *NeedInput, tx *Taxonomy, create bool) error {
	var v Validation
	if create {
		v.Check(in.Title.Set, "title", "is required")
		v.Check(in.Industry.Set, "industry", "is required")
	}
	if checkNotNull(&v, "title", in.Title) {
		n.Title = checkText(&v, "title", in.Title.V, 1, MaxTitle)
	}
	if in.Description.Set {
		n.Description = checkText(&v, "description", in.Description.V, 0, MaxText)
	}
	if checkNotNull(&v, "industry", in.Industry) {
		n.Industry = strings.TrimSpace(in.Industry.V)
		v.Check(tx.IsIndustry(n.Industry), "industry", "unknown industry code %q", n.Industry)
	}
	if in.County.Set && !in.County.Null {
		n.County = strings.TrimSpace(in.County.V)
		v.Check(tx.IsCountyOrZone(n.County), "county", "unknown Cangzhou county or zone code %q", n.County)
	}
	if in.Keywords.Set {
		n.Keywords = cleanList(&v, "keywords", in.Keywords.V, MaxKeywords)
		for _, k := range n.Keywords {
			v.Check(utf8.RuneCountInString(k) <= MaxKeyword, "keywords", "each keyword at most %d characters", MaxKeyword)
		}
	}
	if in.BudgetWan.Set {
		if in.BudgetWan.Null {
			n.BudgetWan = nil
		} else {
			b := in.BudgetWan.V
			v.Check(b >= 0, "budget_wan", "must be ≥ 0")
			n.BudgetWan = &b
		}
	}
	if in.MinTRL.Set {
		if in.MinTRL.Null {
			n.MinTRL = 0
		} else {
			n.MinTRL = in.MinTRL.V
			v.Check(n.MinTRL >= 1 && n.MinTRL <= 9, "min_trl", "must be 1 to 9")
		}
	}
	if checkNotNull(&v, "bottleneck", in.Bottleneck) {
		n.Bottleneck = in.Bottleneck.V
	}
	if in.CooperationModes.Set {
		n.CooperationModes = checkCodes(&v, "cooperation_modes", in.CooperationModes.V, tx.IsTransferMode, "transfer-mode")
	}
	if in.Deadline.Set {
		if in.Deadline.Null {
			n.Deadline = nil
		} else {
			d := in.Deadline.V
			n.Deadline = &d
		}
	}
	if checkNotNull(&v, "confidential", in.Confidential) {
		n.Confidential = in.Confidential.V
	}
	return v.Err()
}

// ApplyResultInput validates in and writes its set fields into r.
func ApplyResultInput(r *Result, in *ResultInput, tx *Taxonomy, create bool) error {
	var v Validation
	if create {
		v.Check(in.Title.Set, "title", "is required")
	}
	if checkNotNull(&v, "title", in.Title) {
		r.Title = checkText(&v, "title", in.Title.V, 1, MaxTitle)
	}
	if in.Abstract.Set {
		r.Abstract = checkText(&v, "abstract", in.Abstract.V, 0, MaxText)
	}
	if in.SourceRegion.Set && !in.SourceRegion.Null {
		r.SourceRegion = strings.TrimSpace(in.SourceRegion.V)
		v.Check(tx.IsSourceRegion(r.SourceRegion), "source_region", "unknown source region code %q", r.SourceRegion)
	}
	if in.TRL.Set {
		if in.TRL.Null {
			r.TRL = 0
		} else {
			r.TRL = in.TRL.V
			v.Check(r.TRL >= 1 && r.TRL <= 9, "trl", "must be 1 to 9")
		}
	}
	if in.TransferModes.Set {
		r.TransferModes = checkCodes(&v, "transfer_modes", in.TransferModes.V, tx.IsTransferMode, "transfer-mode")
	}
	if in.PriceWan.Set {
		if in.PriceWan.Null {
			r.PriceWan = nil
		} else {
			p := in.PriceWan.V
			v.Check(p >= 0, "price_wan", "must be ≥ 0")
			r.PriceWan = &p
		}
	}
	if in.PatentNos.Set {
		nos := cleanList(&v, "patent_nos", in.PatentNos.V, MaxPatents)
		r.PatentNos = r.PatentNos[:0:0]
		for _, p := range nos {
			norm, err := NormalizePatentNo(p)
			if err != nil {
				v.Add("patent_nos", "%s: %s", p, ErrorMessage(err))
				continue
			}
			r.PatentNos = append(r.PatentNos, norm)
		}
	}
	if in.Keywords.Set {
		r.Keywords = cleanList(&v, "keywords", in.Keywords.V, MaxKeywords)
		for _, k := range r.Keywords {
			v.Check(utf8.RuneCountInString(k) <= MaxKeyword, "keywords", "each keyword at most %d characters", MaxKeyword)
		}
	}
	// A result may be unclassified (industry ""): research often spans
	// industries; matching then treats its industry fit as unknown.
	if checkNotNull(&v, "industry", in.Industry) {
		r.Industry = strings.TrimSpace(in.Industry.V)
		v.Check(r.Industry == "" || tx.IsIndustry(r.Industry), "industry", "unknown industry code %q", r.Industry)
	}
	return v.Err()
}

// Viewer describes what a caller may see of listings.
type Viewer struct {
	User *User
}

// IsMember reports whether the caller belongs to orgID.
func (v Viewer) IsMember(orgID string) bool { return v.User != nil && v.User.OrgID == orgID }

// CanSee reports whether the caller may see a listing of orgID in status.
// Others see only published listings; members see their own organization's
// listings in any status; brokers see everything but others' drafts;
// admins see everything.
func (v Viewer) CanSee(orgID, status string) bool {
	switch {
	case v.User.IsAdmin(), v.IsMember(orgID):
		return true
	case v.User.IsStaff():
		return status != StatusDraft
	}
	return status == StatusPublished
}

// SeesConfidential reports whether the caller sees a confidential need of
// orgID whole: its members, brokers and admins. (Deal parties who were
// granted access are checked by the deal service.)
func (v Viewer) SeesConfidential(orgID string) bool {
	return v.User.IsStaff() || v.IsMember(orgID)
}

// CanEdit reports whether the caller may change a listing of orgID.
func (v Viewer) CanEdit(orgID string) bool { return v.IsMember(orgID) }

// ListingFilter selects needs or results for a list.
type ListingFilter struct {
	Industry     string
	County       string // needs
	SourceRegion string // results
	Status       string
	Bottleneck   *bool // needs
	TRLMin       int   // results: trl ≥; needs: min_trl ≥
	OrgID        string
	Q            string
	PageSize     int
	Cursor       string
}

// CatalogService stores needs and results. Every write also appends to the
// outbox in the same transaction. Methods take the caller from the
// context (UserFromContext) and enforce visibility and ownership:
// ENOTFOUND for what the caller may not see, EFORBIDDEN for what it sees
// but may not change, ECONFLICT for a transition not allowed from the
// current status, EINVALID for bad input.
type CatalogService interface {
	CreateNeed(ctx context.Context, in *NeedInput) (*Need, error)
	FindNeedByID(ctx context.Context, id string) (*Need, error)
	FindNeeds(ctx context.Context, f ListingFilter) (items []*Need, total int, next string, err error)
	UpdateNeed(ctx context.Context, id string, in *NeedInput) (*Need, error)
	DeleteNeed(ctx context.Context, id string) error
	// NeedAction applies publish, close, renew or unpublish; reason is kept
	// for moderation.
	NeedAction(ctx context.Context, id, action, reason string) (*Need, error)
	// ImportNeeds validates every row and stores all of them as drafts, or
	// none: the *ImportError lists every failing row, with the errors in
	// prior (rows that could not be read; their inputs are nil) merged in.
	ImportNeeds(ctx context.Context, rows []*NeedInput, prior *ImportError) ([]*Need, error)

	CreateResult(ctx context.Context, in *ResultInput) (*Result, error)
	FindResultByID(ctx context.Context, id string) (*Result, error)
	FindResults(ctx context.Context, f ListingFilter) (items []*Result, total int, next string, err error)
	UpdateResult(ctx context.Context, id string, in *ResultInput) (*Result, error)
	DeleteResult(ctx context.Context, id string) error
	ResultAction(ctx context.Context, id, action, reason string) (*Result, error)
	ImportResults(ctx context.Context, rows []*ResultInput, prior *ImportError) ([]*Result, error)
}

// RowError is one failing field of one row of a bulk import.
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportError reports every failing row of a bulk import; nothing was
// imported.
type ImportError struct {
	Rows []RowError
}

// Error implements error.
func (e *ImportError) Error() string { return "import refused: rows have errors" }
