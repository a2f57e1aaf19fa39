package techx

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Deal stages (撮合进度): proposed → contacted → negotiating → signed, or
// lost from any open stage.
const (
	StageProposed    = "proposed"
	StageContacted   = "contacted"
	StageNegotiating = "negotiating"
	StageSigned      = "signed"
	StageLost        = "lost"
)

// DealStages lists every stage in pipeline order.
var DealStages = []string{StageProposed, StageContacted, StageNegotiating, StageSigned, StageLost}

// LostReasons are the reason codes a deal may be lost with.
var LostReasons = []string{"too_early", "benefit_unclear", "price", "ip_status", "no_response", "other"}

// IsLostReason reports whether code is one of LostReasons.
func IsLostReason(code string) bool {
	for _, r := range LostReasons {
		if r == code {
			return true
		}
	}
	return false
}

// IsDealStage reports whether s is a known stage.
func IsDealStage(s string) bool {
	for _, x := range DealStages {
		if x == s {
			return true
		}
	}
	return false
}

// OpenStage reports whether a deal at stage s is still open.
func OpenStage(s string) bool {
	return s == StageProposed || s == StageContacted || s == StageNegotiating
}

// DisclosingStage reports whether a deal at stage s has been accepted by
// the need's organization, so that the result side may read a
// confidential need whole (contacted, negotiating, signed).
func DisclosingStage(s string) bool {
	return s == StageContacted || s == StageNegotiating || s == StageSigned
}

// IdleAfter is how long without activity makes an open deal idle in a
// broker's pipeline.
const IdleAfter = 14 * 24 * time.Hour

// Who opened a deal: the need's side, the result's side, or a broker
// (or admin). Deals opened by the result side or a broker wait at
// proposed until the need's organization accepts them.
const (
	SideNeed   = "need"
	SideResult = "result"
	SideBroker = "broker"
)

// NextStages returns the stages a deal may move to from stage. reopen
// adds lost → proposed (brokers and admins only).
func NextStages(stage string, reopen bool) []string {
	switch stage {
	case StageProposed:
		return []string{StageContacted, StageLost}
	case StageContacted:
		return []string{StageNegotiating, StageLost}
	case StageNegotiating:
		return []string{StageSigned, StageLost}
	case StageLost:
		if reopen {
			return []string{StageProposed}
		}
	}
	return nil
}

// CheckStageMove returns nil when a deal may move from → to, and an
// ECONFLICT error naming the allowed moves otherwise (EINVALID for an
// unknown stage). A lost deal is reopened (lost → proposed) only by
// brokers and admins (staff): others get EFORBIDDEN.
func CheckStageMove(from, to string, staff bool) error {
	if !IsDealStage(to) {
		return &Error{Code: EINVALID, Message: "The request has invalid fields.",
			Fields: []FieldError{{Field: "stage", Message: "must be one of " + strings.Join(DealStages, ", ")}}}
	}
	for _, s := range NextStages(from, true) {
		if s == to {
			if from == StageLost && !staff {
				return Errorf(EFORBIDDEN, "Only a broker or an admin may reopen a lost deal.")
			}
			return nil
		}
	}
	allowed := NextStages(from, staff)
	if len(allowed) == 0 {
		return Errorf(ECONFLICT, "A %s deal cannot move to %s; no moves are allowed from %s.", from, to, from)
	}
	return Errorf(ECONFLICT, "A %s deal cannot move to %s; allowed: %s.", from, to, strings.Join(allowed, ", "))
}

// Deal links a need and a result on their way to a contract.
type Deal struct {
	ID          string
	NeedID      string
	ResultID    string
	NeedOrgID   string
	ResultOrgID string
	NeedTitle   string // public even for confidential needs
	ResultTitle string
	Industry    string // the need's industry
	BrokerID    string // "" = none
	Stage       string
	// Mode is a transfer-mode code; signing a "transfer" deal marks the
	// result transferred.
	Mode        string
	LostReason  string
	OpenedBy    string
	OpenedSide  string
	ChallengeID string // "" unless opened by a challenge award
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// LastActivityAt is the time of the latest stage change, note or
	// assignment.
	LastActivityAt time.Time
	SignedAt       *time.Time
	// Timeline is filled by FindDealByID and the writes, oldest first.
	Timeline []*DealEvent
}

// Kinds of timeline entries.
const (
	EventOpened = "opened"
	EventStage  = "stage"
	EventNote   = "note"
	EventAssign = "assign"
)

// DealEvent is one entry of a deal's timeline: who did what and when.
type DealEvent struct {
	ID        string
	DealID    string
	Kind      string
	ActorID   string
	At        time.Time
	FromStage string
	ToStage   string
	Reason    string
	Note      string
	BrokerID  string // assignments
}

// NewDeal is the input of POST /deals.
type NewDeal struct {
	NeedID   string `json:"need_id"`
	ResultID string `json:"result_id"`
	Note     string `json:"note"`
	Mode     string `json:"mode"`
}

// MaxNote caps notes and other free text of brokering.
const MaxNote = 2000

// Validate trims and checks the input's shape (codes against tx).
func (in *NewDeal) Validate(tx *Taxonomy) error {
	var v Validation
	in.NeedID, in.ResultID, in.Mode = strings.TrimSpace(in.NeedID), strings.TrimSpace(in.ResultID), strings.TrimSpace(in.Mode)
	in.Note = checkText(&v, "note", in.Note, 0, MaxNote)
	v.Check(in.NeedID != "" && len(in.NeedID) <= 64, "need_id", "is required")
	v.Check(in.ResultID != "" && len(in.ResultID) <= 64, "result_id", "is required")
	v.Check(in.Mode == "" || tx.IsTransferMode(in.Mode), "mode", "unknown transfer-mode code %q", in.Mode)
	return v.Err()
}

// StageMove is the input of POST /deals/{id}/stage.
type StageMove struct {
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// Validate checks the move's shape: a reason code is required for lost
// and refused otherwise.
func (m *StageMove) Validate() error {
	var v Validation
	m.Stage, m.Reason = strings.TrimSpace(m.Stage), strings.TrimSpace(m.Reason)
	m.Note = checkText(&v, "note", m.Note, 0, MaxNote)
	v.Check(IsDealStage(m.Stage), "stage", "must be one of %s", strings.Join(DealStages, ", "))
	switch {
	case m.Stage == StageLost && m.Reason == "":
		v.Add("reason", "is required when a deal is lost: one of %s", strings.Join(LostReasons, ", "))
	case m.Stage == StageLost:
		v.Check(IsLostReason(m.Reason), "reason", "must be one of %s", strings.Join(LostReasons, ", "))
	case m.Reason != "":
		v.Add("reason", "is only given when a deal is lost")
	}
	return v.Err()
}

// DealFilter selects deals for GET /deals. Empty fields do not filter.
type DealFilter struct {
	Stage    string
	BrokerID string
	Industry string
	// IdleDays keeps deals without activity for at least that many days.
	IdleDays int
	Cursor   string
	PageSize int
}

// Pipeline is a broker's view of the deals it brokers.
type Pipeline struct {
	Counts map[string]int
	Open   int
	// Idle are the open deals without activity for longer than IdleAfter,
	// the longest idle first.
	Idle []*Deal
}

// DealService opens and drives deals. Methods take the caller from the
// context. A deal is seen by admins, its broker and the members of the
// need's and the result's organizations; to anyone else it does not exist
// (ENOTFOUND).
type DealService interface {
	DealLookup
	// CreateDeal opens a deal at proposed. Brokers, admins, and members of
	// the need's or the result's organization may open one. EINVALID,
	// ENOTFOUND (a listing the caller may not see), EFORBIDDEN (not a
	// party nor a broker), ECONFLICT (a listing not published, or an open
	// deal on the same pair).
	CreateDeal(ctx context.Context, in *NewDeal) (*Deal, error)
	// FindDealByID returns a deal with its timeline. ENOTFOUND.
	FindDealByID(ctx context.Context, id string) (*Deal, error)
	// FindDeals returns a page of the deals the caller sees, newest first.
	// EINVALID (bad cursor or filter).
	FindDeals(ctx context.Context, f DealFilter) (items []*Deal, total int, next string, err error)
	// MoveDeal changes a deal's stage and records it in the timeline;
	// signing marks the need matched and, for a transfer, the result
	// transferred. ENOTFOUND, EINVALID, EFORBIDDEN (accepting a deal for
	// the need's organization, reopening by a non-broker), ECONFLICT (a
	// move not allowed from the current stage; the message names the
	// allowed ones).
	MoveDeal(ctx context.Context, id string, m *StageMove) (*Deal, error)
	// AddDealNote appends a note to the timeline. ENOTFOUND, EINVALID.
	AddDealNote(ctx context.Context, id, note string) (*DealEvent, error)
	// AssignDeal gives the deal to a broker. Admins, the deal's broker and
	// the parties may assign. ENOTFOUND, EINVALID (not a broker).
	AssignDeal(ctx context.Context, id, brokerID string) (*Deal, error)
	// Pipeline returns the caller's (a broker's) pipeline. EFORBIDDEN.
	Pipeline(ctx context.Context) (*Pipeline, error)
	// DisclosedNeeds returns which of needIDs the caller may read whole
	// because its organization is the result side of an accepted deal
	// (contacted, negotiating or signed) on them.
	DisclosedNeeds(ctx context.Context, needIDs []string) (map[string]bool, error)
}

// Challenge statuses.
const (
	ChallengeOpen   = "open"
	ChallengeClosed = "closed"
)

// Challenge is a 揭榜挂帅 challenge: a published need with a bounty and an
// application deadline.
type Challenge struct {
	ID           string
	NeedID       string
	NeedTitle    string
	Industry     string
	Bottleneck   bool
	OrgID        string // the need's organization (the owner)
	CreatedBy    string
	BountyWan    Wan
	ApplyUntil   Date
	Requirements string
	Status       string
	// Applications counts the applications (shown to the owner).
	Applications         int
	AwardedApplicationID string
	AwardedOrgID         string
	DealID               string
	AwardedAt            *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Accepting reports whether applications are still taken on the
// calendar day of now (Cangzhou time).
func (c *Challenge) Accepting(now time.Time) bool {
	return c.Status == ChallengeOpen && !c.ApplyUntil.Before(now)
}

// ChallengeInput is the body of POST /needs/{id}/challenge.
type ChallengeInput struct {
	BountyWan    *Wan   `json:"bounty_wan"`
	ApplyUntil   *Date  `json:"apply_until"`
	Requirements string `json:"requirements"`
}

// Validate checks the input against today (now, Cangzhou time).
func (in *ChallengeInput) Validate(now time.Time) error {
	var v Validation
	switch {
	case in.BountyWan == nil:
		v.Add("bounty_wan", "is required")
	case *in.BountyWan <= 0:
		v.Add("bounty_wan", "must be greater than 0")
	}
	switch {
	case in.ApplyUntil == nil:
		v.Add("apply_until", "is required")
	case in.ApplyUntil.Before(now):
		v.Add("apply_until", "must not be in the past")
	}
	in.Requirements = checkText(&v, "requirements", in.Requirements, 1, MaxText)
	return v.Err()
}

// Application is an institution's answer to a challenge.
type Application struct {
	ID          string
	ChallengeID string
	OrgID       string
	OrgName     string
	CreatedBy   string
	Proposal    string
	PlannedTRL  int
	PriceWan    *Wan
	Team        string
	ResultID    string // "" = none named
	CreatedAt   time.Time
}

// ApplicationInput is the body of POST /challenges/{id}/applications.
type ApplicationInput struct {
	Proposal   string  `json:"proposal"`
	PlannedTRL int     `json:"planned_trl"`
	PriceWan   *Wan    `json:"price_wan"`
	Team       string  `json:"team"`
	ResultID   *string `json:"result_id"`
}

// Validate checks the input's shape.
func (in *ApplicationInput) Validate() error {
	var v Validation
	in.Proposal = checkText(&v, "proposal", in.Proposal, 1, MaxText)
	in.Team = checkText(&v, "team", in.Team, 0, MaxNote)
	v.Check(in.PlannedTRL >= 1 && in.PlannedTRL <= 9, "planned_trl", "must be 1 to 9")
	v.Check(in.PriceWan == nil || *in.PriceWan >= 0, "price_wan", "must be ≥ 0")
	if in.ResultID != nil {
		r := strings.TrimSpace(*in.ResultID)
		in.ResultID = &r
		v.Check(r != "" && utf8.RuneCountInString(r) <= 64, "result_id", "must be a result id")
	}
	return v.Err()
}

// ChallengeFilter selects challenges; open ones come first.
type ChallengeFilter struct {
	Status   string
	Cursor   string
	PageSize int
}

// ChallengeService runs 揭榜挂帅 challenges. Methods take the caller from
// the context. A challenge is seen by anyone who may see its need, by its
// applicants, brokers and admins.
type ChallengeService interface {
	// CreateChallenge posts a challenge on a published need of the caller's
	// organization. ENOTFOUND, EFORBIDDEN (not the need's organization),
	// EINVALID, ECONFLICT (need not published, or already a challenge).
	CreateChallenge(ctx context.Context, needID string, in *ChallengeInput) (*Challenge, error)
	// FindChallengeByID returns one challenge. ENOTFOUND.
	FindChallengeByID(ctx context.Context, id string) (*Challenge, error)
	// FindChallenges lists challenges, open first, newest first. EINVALID.
	FindChallenges(ctx context.Context, f ChallengeFilter) (items []*Challenge, total int, next string, err error)
	// Apply records the caller's organization's application. Institutions
	// only (EFORBIDDEN); ENOTFOUND; EINVALID; ECONFLICT (closed, past
	// apply_until, or the organization already applied).
	Apply(ctx context.Context, challengeID string, in *ApplicationInput) (*Application, error)
	// FindApplications returns the applications the caller may see: all
	// for the owner and admins, its own for an applicant. ENOTFOUND.
	FindApplications(ctx context.Context, challengeID string) ([]*Application, error)
	// Award closes the challenge, keeps the award, and opens a deal at
	// negotiating between the need and the application's result (a draft
	// result made from the application when it named none). ENOTFOUND,
	// EFORBIDDEN (not the owner), ECONFLICT (already closed, or an open
	// deal on the pair).
	Award(ctx context.Context, challengeID, applicationID string) (*Challenge, *Deal, error)
}

// Notification kinds.
const (
	NotifyDealOpened       = "deal_opened"
	NotifyDealStage        = "deal_stage"
	NotifyApplication      = "challenge_application"
	NotifyAward            = "challenge_award"
	NotifySavedSearchMatch = "saved_search_match"
)

// Notification is one entry of a user's inbox.
type Notification struct {
	ID            string
	UserID        string
	Kind          string
	Message       string
	DealID        string
	ChallengeID   string
	SavedSearchID string
	ListingKind   string
	ListingID     string
	ReadAt        *time.Time
	CreatedAt     time.Time
}

// NotificationFilter selects the caller's notifications.
type NotificationFilter struct {
	Unread   bool
	Cursor   string
	PageSize int
}

// SavedSearch is a user's stored query: new published listings that match
// it land in the user's inbox.
type SavedSearch struct {
	ID           string
	UserID       string
	Kind         string // KindNeed, KindResult or "" for both
	Q            string
	Industry     string
	County       string
	SourceRegion string
	TRLMin       int
	Bottleneck   *bool
	CreatedAt    time.Time
}

// SavedSearchFilters are the filters of a saved search.
type SavedSearchFilters struct {
	Industry     string `json:"industry"`
	County       string `json:"county"`
	SourceRegion string `json:"source_region"`
	TRLMin       int    `json:"trl_min"`
	Bottleneck   *bool  `json:"bottleneck"`
}

// SavedSearchInput is the body of POST /saved-searches.
type SavedSearchInput struct {
	Kind    string              `json:"kind"`
	Q       string              `json:"q"`
	Filters *SavedSearchFilters `json:"filters"`
}

// MaxSavedSearches caps the saved searches of one user.
const MaxSavedSearches = 50

// Validate checks the input against the taxonomy and returns the search.
func (in *SavedSearchInput) Validate(tx *Taxonomy) (*SavedSearch, error) {
	var v Validation
	s := &SavedSearch{Kind: strings.TrimSpace(in.Kind), Q: strings.TrimSpace(in.Q)}
	v.Check(s.Kind == "" || s.Kind == KindNeed || s.Kind == KindResult, "kind", "must be need or result (or empty for both)")
	v.Check(utf8.RuneCountInString(s.Q) <= 200, "q", "at most 200 characters")
	if f := in.Filters; f != nil {
		s.Industry, s.County, s.SourceRegion = strings.TrimSpace(f.Industry), strings.TrimSpace(f.County), strings.TrimSpace(f.SourceRegion)
		s.TRLMin, s.Bottleneck = f.TRLMin, f.Bottleneck
		v.Check(s.Industry == "" || tx.IsIndustry(s.Industry), "filters.industry", "unknown industry code %q", s.Industry)
		v.Check(s.County == "" || tx.IsCountyOrZone(s.County), "filters.county", "unknown county or zone code %q", s.County)
		v.Check(s.SourceRegion == "" || tx.IsSourceRegion(s.SourceRegion), "filters.source_region", "unknown source region code %q", s.SourceRegion)
		v.Check(s.TRLMin >= 0 && s.TRLMin <= 9, "filters.trl_min", "must be 1 to 9 (0 or absent: any)")
	}
	if s.Q == "" && s.Industry == "" && s.County == "" && s.SourceRegion == "" && s.TRLMin == 0 && s.Bottleneck == nil {
		v.Add("q", "give a query or at least one filter")
	}
	return s, v.Err()
}

// ListingRef names a listing that was just published (or re-indexed while
// published).
type ListingRef struct {
	Kind  string
	ID    string
	OrgID string
	Title string
}

// SavedSearchMatcher reports whether the listing matches the saved search
// when run as its owner (the search engine decides).
type SavedSearchMatcher func(ctx context.Context, s *SavedSearch, owner *User, l ListingRef) (bool, error)

// NotificationService keeps saved searches and the users' inboxes.
// Methods take the caller from the context; another user's saved search
// or notification does not exist for the caller (ENOTFOUND).
type NotificationService interface {
	// CreateSavedSearch stores a saved search of the caller. EINVALID,
	// ECONFLICT (too many).
	CreateSavedSearch(ctx context.Context, in *SavedSearchInput) (*SavedSearch, error)
	// FindSavedSearches returns the caller's saved searches, newest first.
	FindSavedSearches(ctx context.Context) ([]*SavedSearch, error)
	// DeleteSavedSearch deletes one of the caller's saved searches.
	// ENOTFOUND.
	DeleteSavedSearch(ctx context.Context, id string) error
	// FindNotifications returns a page of the caller's notifications,
	// newest first. EINVALID (bad cursor).
	FindNotifications(ctx context.Context, f NotificationFilter) (items []*Notification, total int, next string, err error)
	// MarkRead marks one notification read. ENOTFOUND.
	MarkRead(ctx context.Context, id string) (*Notification, error)
	// MarkAllRead marks every notification of the caller read and returns
	// how many changed.
	MarkAllRead(ctx context.Context) (int, error)
	// NotifySavedSearches runs every saved search that may match the
	// listing through match and notifies each owner it matches, at most
	// once per saved search and listing, ever. Owners in the listing's
	// organization are skipped. It returns how many were notified.
	NotifySavedSearches(ctx context.Context, l ListingRef, match SavedSearchMatcher) (int, error)
}
