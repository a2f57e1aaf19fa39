package techx

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// ContractType is the kind of a technology contract (技术合同), one of the
// taxonomy's contract_types.
type ContractType string

// The contract types of the taxonomy.
const (
	TypeDevelopment ContractType = "development" // 技术开发
	TypeTransfer    ContractType = "transfer"    // 技术转让
	TypeLicense     ContractType = "license"     // 技术许可
	TypeConsulting  ContractType = "consulting"  // 技术咨询
	TypeService     ContractType = "service"     // 技术服务
)

// ContractStatus is where a contract is in its life: recorded by a broker,
// verified (认定登记) by an admin, or voided by an admin.
type ContractStatus string

// The contract statuses: recorded → verified, or recorded|verified → void.
const (
	ContractRecorded ContractStatus = "recorded"
	ContractVerified ContractStatus = "verified"
	ContractVoid     ContractStatus = "void"
)

// Valid reports whether s is a known status.
func (s ContractStatus) Valid() bool {
	return s == ContractRecorded || s == ContractVerified || s == ContractVoid
}

// Direction says which way technology flows through Cangzhou.
type Direction string

// The directions of a contract.
const (
	Outflow Direction = "outflow" // seller in Cangzhou, buyer outside: 输出
	Inflow  Direction = "inflow"  // buyer in Cangzhou, seller outside: 吸纳
	Local   Direction = "local"   // both parties in Cangzhou
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return d == Outflow || d == Inflow || d == Local }

// Name returns the Chinese name of the direction, or "".
func (d Direction) Name() string {
	switch d {
	case Outflow:
		return "输出"
	case Inflow:
		return "吸纳"
	case Local:
		return "本地"
	}
	return ""
}

// SourceRegionCangzhou is the seller's source region of a contract whose
// seller sits in Cangzhou; the other source regions are taxonomy codes.
const SourceRegionCangzhou = "cangzhou"

// SourceRegionName returns the Chinese name of a seller's source region:
// a taxonomy source region or SourceRegionCangzhou.
func (t *Taxonomy) SourceRegionName(code string) string {
	if code == SourceRegionCangzhou {
		return "沧州本地"
	}
	return t.index["region"][code]
}

// IsContractSourceRegion reports whether code is a taxonomy source region
// or SourceRegionCangzhou.
func (t *Taxonomy) IsContractSourceRegion(code string) bool {
	return code == SourceRegionCangzhou || t.IsSourceRegion(code)
}

// DeriveDirection returns the direction of a contract between a seller and
// a buyer in the given regions (Cangzhou county/zone codes or source-region
// codes). It reports false when neither party is in Cangzhou or a region is
// unknown: such a contract is not Cangzhou's to record.
func DeriveDirection(tx *Taxonomy, sellerRegion, buyerRegion string) (Direction, bool) {
	known := func(r string) bool { return tx.IsCountyOrZone(r) || tx.IsSourceRegion(r) }
	if !known(sellerRegion) || !known(buyerRegion) {
		return "", false
	}
	s, b := tx.IsCountyOrZone(sellerRegion), tx.IsCountyOrZone(buyerRegion)
	switch {
	case s && b:
		return Local, true
	case s:
		return Outflow, true
	case b:
		return Inflow, true
	}
	return "", false
}

// SellerSourceRegion returns the source region of a seller in region: the
// region itself outside Cangzhou, SourceRegionCangzhou inside it.
func SellerSourceRegion(tx *Taxonomy, region string) string {
	if tx.IsCountyOrZone(region) {
		return SourceRegionCangzhou
	}
	return region
}

// Party is the seller or the buyer of a contract.
type Party struct {
	Name string `json:"name"`
	// USCC is the party's unified social credit code, when known.
	USCC string `json:"uscc,omitempty"`
	// OrgID links the party to an organization on the platform; its
	// members may then read the contract.
	OrgID string `json:"org_id,omitempty"`
	// Region is a Cangzhou county/zone code or a source-region code.
	Region string `json:"region"`
}

// Contract is a technology contract (技术合同) recorded on the platform.
// Money is exact: AmountYuan (合同成交额) and TechAmountYuan (技术交易额) are
// integer fen written as decimal strings.
type Contract struct {
	ID               string         `json:"id"`
	DealID           *string        `json:"deal_id"`
	Title            string         `json:"title"`
	Type             ContractType   `json:"type"`
	TypeName         string         `json:"type_name"`
	Seller           Party          `json:"seller"`
	Buyer            Party          `json:"buyer"`
	AmountYuan       Yuan           `json:"amount_yuan"`
	TechAmountYuan   Yuan           `json:"tech_amount_yuan"`
	SignedOn         string         `json:"signed_on"`
	County           string         `json:"county"`
	CountyName       string         `json:"county_name"`
	Industry         string         `json:"industry"`
	IndustryName     string         `json:"industry_name"`
	RegistrationNo   *string        `json:"registration_no"`
	Direction        Direction      `json:"direction"`
	DirectionName    string         `json:"direction_name"`
	SourceRegion     string         `json:"source_region"`
	SourceRegionName string         `json:"source_region_name"`
	Status           ContractStatus `json:"status"`
	VoidReason       *string        `json:"void_reason"`
	CreatedBy        string         `json:"created_by"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	VerifiedAt       *time.Time     `json:"verified_at"`
	VoidedAt         *time.Time     `json:"voided_at"`
}

// Describe fills in the Chinese names beside the codes.
func (c *Contract) Describe(tx *Taxonomy) {
	c.TypeName = tx.Name(string(c.Type))
	c.CountyName = tx.Name(c.County)
	c.IndustryName = tx.IndustryName(c.Industry)
	c.DirectionName = c.Direction.Name()
	c.SourceRegionName = tx.SourceRegionName(c.SourceRegion)
}

// IsParty reports whether u belongs to the organization of the seller or
// the buyer.
func (c *Contract) IsParty(u *User) bool {
	return u != nil && u.OrgID != "" && (c.Seller.OrgID == u.OrgID || c.Buyer.OrgID == u.OrgID)
}

// CanSeeContract reports whether u may read c: brokers and admins, and the
// members of the seller's or the buyer's organization.
func CanSeeContract(u *User, c *Contract) bool { return u.IsStaff() || c.IsParty(u) }

// NewContract is the input of POST /contracts. Amounts are pointers so a
// missing one is told apart from zero.
type NewContract struct {
	DealID         *string      `json:"deal_id"`
	Title          string       `json:"title"`
	Type           ContractType `json:"type"`
	Seller         Party        `json:"seller"`
	Buyer          Party        `json:"buyer"`
	AmountYuan     *Yuan        `json:"amount_yuan"`
	TechAmountYuan *Yuan        `json:"tech_amount_yuan"`
	SignedOn       string       `json:"signed_on"`
	County         string       `json:"county"`
	Industry       string       `json:"industry"`
	RegistrationNo string       `json:"registration_no"`
}

// Fingerprint is a digest of the input, used to tell a repeated request
// with an Idempotency-Key from a different one under the same key.
func (nc *NewContract) Fingerprint() string {
	b, _ := json.Marshal(nc)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ContractDerived is what validation derives from a contract's input.
type ContractDerived struct {
	Direction    Direction
	SourceRegion string
}

// chinaTime is the time zone of Cangzhou (UTC+8, no daylight saving).
var chinaTime = time.FixedZone("CST", 8*3600)

// Today returns the calendar date in Cangzhou at now, as YYYY-MM-DD.
func Today(now time.Time) string { return now.In(chinaTime).Format(DateLayout) }

// DateLayout is the layout of calendar dates in the API: 2024-03-31.
const DateLayout = "2006-01-02"

// ValidDate reports whether s is a calendar date written YYYY-MM-DD.
func ValidDate(s string) bool {
	t, err := time.Parse(DateLayout, s)
	return err == nil && t.Format(DateLayout) == s
}

// Normalize trims the text fields and upper-cases credit codes.
func (nc *NewContract) Normalize() {
	nc.Title = strings.TrimSpace(nc.Title)
	for _, p := range []*Party{&nc.Seller, &nc.Buyer} {
		p.Name = strings.TrimSpace(p.Name)
		p.USCC = strings.ToUpper(strings.TrimSpace(p.USCC))
		p.OrgID = strings.TrimSpace(p.OrgID)
		p.Region = strings.TrimSpace(p.Region)
	}
	nc.SignedOn = strings.TrimSpace(nc.SignedOn)
	nc.County = strings.TrimSpace(nc.County)
	nc.Industry = strings.TrimSpace(nc.Industry)
	nc.RegistrationNo = strings.TrimSpace(nc.RegistrationNo)
	if nc.DealID != nil {
		d := strings.TrimSpace(*nc.DealID)
		nc.DealID = &d
	}
}

// Validate normalizes nc and checks it against the taxonomy and today's
// date (YYYY-MM-DD, in Cangzhou): amounts > 0 with tech ≤ amount, a date not
// in the future, known codes, valid credit codes, and at least one party in
// Cangzhou. When county is empty it is taken from the Cangzhou party (the
// buyer's when both are). It returns the derived direction and source
// region, or an EINVALID error naming the fields.
func (nc *NewContract) Validate(tx *Taxonomy, today string) (ContractDerived, error) {
	nc.Normalize()
	var v Validation
	var d ContractDerived
	n := utf8.RuneCountInString(nc.Title)
	v.Check(n >= 2 && n <= 200, "title", "must be 2 to 200 characters")
	v.Check(tx.IsContractType(string(nc.Type)), "type", "must be one of development, transfer, license, consulting, service")
	for _, p := range []struct {
		name string
		p    *Party
	}{{"seller", &nc.Seller}, {"buyer", &nc.Buyer}} {
		n := utf8.RuneCountInString(p.p.Name)
		v.Check(n >= 2 && n <= 200, p.name+".name", "must be 2 to 200 characters")
		if p.p.USCC != "" {
			v.Check(ValidUSCC(p.p.USCC), p.name+".uscc", "is not a valid unified social credit code (GB 32100-2015)")
		}
		v.Check(len(p.p.OrgID) <= 64, p.name+".org_id", "is too long")
		v.Check(tx.IsCountyOrZone(p.p.Region) || tx.IsSourceRegion(p.p.Region), p.name+".region",
			"must be a Cangzhou county or zone code or a source-region code")
	}
	switch {
	case nc.AmountYuan == nil:
		v.Add("amount_yuan", "is required")
	case *nc.AmountYuan <= 0:
		v.Add("amount_yuan", "must be greater than 0")
	}
	switch {
	case nc.TechAmountYuan == nil:
		v.Add("tech_amount_yuan", "is required")
	case *nc.TechAmountYuan <= 0:
		v.Add("tech_amount_yuan", "must be greater than 0")
	case nc.AmountYuan != nil && *nc.TechAmountYuan > *nc.AmountYuan:
		v.Add("tech_amount_yuan", "must not exceed amount_yuan")
	}
	switch {
	case !ValidDate(nc.SignedOn):
		v.Add("signed_on", "must be a date written YYYY-MM-DD")
	case nc.SignedOn > today:
		v.Add("signed_on", "must not be in the future")
	case nc.SignedOn < "1980-01-01":
		v.Add("signed_on", "must not be before 1980")
	}
	v.Check(tx.IsIndustry(nc.Industry), "industry", "unknown industry code %q", nc.Industry)
	v.Check(len(nc.RegistrationNo) <= 64, "registration_no", "must be at most 64 characters")
	if nc.DealID != nil {
		v.Check(*nc.DealID != "" && len(*nc.DealID) <= 64, "deal_id", "must be a deal id")
	}
	dir, ok := DeriveDirection(tx, nc.Seller.Region, nc.Buyer.Region)
	if !ok && (tx.IsCountyOrZone(nc.Seller.Region) || tx.IsSourceRegion(nc.Seller.Region)) &&
		(tx.IsCountyOrZone(nc.Buyer.Region) || tx.IsSourceRegion(nc.Buyer.Region)) {
		v.Add("buyer.region", "neither party is in Cangzhou: the seller or the buyer must be in a Cangzhou county or zone")
	}
	if ok {
		d = ContractDerived{Direction: dir, SourceRegion: SellerSourceRegion(tx, nc.Seller.Region)}
		var allowed []string
		switch dir {
		case Outflow:
			allowed = []string{nc.Seller.Region}
		case Inflow:
			allowed = []string{nc.Buyer.Region}
		default:
			allowed = []string{nc.Buyer.Region, nc.Seller.Region}
		}
		if nc.County == "" {
			nc.County = allowed[0]
		}
		switch {
		case !tx.IsCountyOrZone(nc.County):
			v.Add("county", "must be a Cangzhou county or zone code")
		case nc.County != allowed[0] && (len(allowed) == 1 || nc.County != allowed[1]):
			v.Add("county", "must be the region of the party in Cangzhou (%s)", strings.Join(allowed, " or "))
		}
	}
	return d, v.Err()
}

// ContractUpdate is the input of PATCH /contracts/{id}: only the fields
// given change. Parties are replaced whole.
type ContractUpdate struct {
	Title          *string       `json:"title"`
	Type           *ContractType `json:"type"`
	Seller         *Party        `json:"seller"`
	Buyer          *Party        `json:"buyer"`
	AmountYuan     *Yuan         `json:"amount_yuan"`
	TechAmountYuan *Yuan         `json:"tech_amount_yuan"`
	SignedOn       *string       `json:"signed_on"`
	County         *string       `json:"county"`
	Industry       *string       `json:"industry"`
	RegistrationNo *string       `json:"registration_no"`
}

// Apply returns c's input with the update's fields replaced. When a party
// moves and county is not given, county is derived again.
func (u *ContractUpdate) Apply(c *Contract) *NewContract {
	amount, tech := c.AmountYuan, c.TechAmountYuan
	nc := &NewContract{DealID: c.DealID, Title: c.Title, Type: c.Type, Seller: c.Seller, Buyer: c.Buyer,
		AmountYuan: &amount, TechAmountYuan: &tech, SignedOn: c.SignedOn, County: c.County, Industry: c.Industry}
	if c.RegistrationNo != nil {
		nc.RegistrationNo = *c.RegistrationNo
	}
	if u.Title != nil {
		nc.Title = *u.Title
	}
	if u.Type != nil {
		nc.Type = *u.Type
	}
	if u.Seller != nil {
		nc.Seller = *u.Seller
	}
	if u.Buyer != nil {
		nc.Buyer = *u.Buyer
	}
	if (u.Seller != nil || u.Buyer != nil) && u.County == nil {
		nc.County = ""
	}
	if u.AmountYuan != nil {
		nc.AmountYuan = u.AmountYuan
	}
	if u.TechAmountYuan != nil {
		nc.TechAmountYuan = u.TechAmountYuan
	}
	if u.SignedOn != nil {
		nc.SignedOn = *u.SignedOn
	}
	if u.County != nil {
		nc.County = *u.County
	}
	if u.Industry != nil {
		nc.Industry = *u.Industry
	}
	if u.RegistrationNo != nil {
		nc.RegistrationNo = *u.RegistrationNo
	}
	return nc
}

// ContractFilter selects contracts. Empty fields do not filter. From and To
// are inclusive dates (YYYY-MM-DD); Year selects one calendar year.
type ContractFilter struct {
	Year         int
	From, To     string
	County       string
	Industry     string
	Type         ContractType
	Direction    Direction
	SourceRegion string
	Statuses     []ContractStatus
	// Cursor is the next value of the previous page (see ContractCursor).
	Cursor string
	// PageSize caps the page; 0 means every matching contract (exports).
	PageSize int
}

// Validate checks the filter's codes and dates against the taxonomy.
func (f *ContractFilter) Validate(tx *Taxonomy) error {
	var v Validation
	v.Check(f.Year == 0 || (f.Year >= 1980 && f.Year <= 9999), "year", "must be a year such as 2024")
	v.Check(f.From == "" || ValidDate(f.From), "from", "must be a date written YYYY-MM-DD")
	v.Check(f.To == "" || ValidDate(f.To), "to", "must be a date written YYYY-MM-DD")
	v.Check(f.County == "" || tx.IsCountyOrZone(f.County), "county", "unknown county or zone code %q", f.County)
	v.Check(f.Industry == "" || tx.IsIndustry(f.Industry), "industry", "unknown industry code %q", f.Industry)
	v.Check(f.Type == "" || tx.IsContractType(string(f.Type)), "type", "unknown contract type %q", f.Type)
	v.Check(f.Direction == "" || f.Direction.Valid(), "direction", "must be outflow, inflow or local")
	v.Check(f.SourceRegion == "" || tx.IsContractSourceRegion(f.SourceRegion), "source_region", "unknown source region %q", f.SourceRegion)
	for _, s := range f.Statuses {
		v.Check(s.Valid(), "status", "must be recorded, verified or void")
	}
	if f.Cursor != "" {
		if _, err := ParseContractCursor(f.Cursor); err != nil {
			v.Add("cursor", "is not a cursor of this list")
		}
	}
	return v.Err()
}

// ContractCursor is a position in the contract list, which is ordered by
// signing date then id, newest first.
type ContractCursor struct {
	SignedOn string
	ID       string
}

// Encode returns the cursor as an opaque URL-safe string.
func (c ContractCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1|" + c.SignedOn + "|" + c.ID))
}

// ParseContractCursor decodes a cursor made by Encode; anything else is
// an EINVALID error.
func ParseContractCursor(s string) (*ContractCursor, error) {
	bad := &Error{Code: EINVALID, Message: "The cursor is not valid; use the next value of a previous page.",
		Fields: []FieldError{{Field: "cursor", Message: "is not a cursor of this list"}}}
	if len(s) > 200 {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 || parts[0] != "c1" || !ValidDate(parts[1]) || parts[2] == "" || len(parts[2]) > 64 {
		return nil, bad
	}
	for _, r := range parts[2] {
		if !(r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return nil, bad
		}
	}
	return &ContractCursor{SignedOn: parts[1], ID: parts[2]}, nil
}

// IdempotencyKey identifies a request that records money: the client's
// Idempotency-Key header and the fingerprint of the request body. Keys are
// scoped to the user who sends them.
type IdempotencyKey struct {
	Key         string
	Fingerprint string
}

// ValidIdempotencyKey reports whether k is an acceptable Idempotency-Key:
// 1 to 200 printable ASCII characters.
func ValidIdempotencyKey(k string) bool {
	if k == "" || len(k) > 200 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// AuditRecord is one append-only entry of a contract's history: who did
// what, when, and the contract before and after.
type AuditRecord struct {
	ID         int64           `json:"id"`
	ContractID string          `json:"contract_id"`
	Action     string          `json:"action"`
	ActorID    string          `json:"actor_id"`
	At         time.Time       `json:"at"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

// The audit actions.
const (
	AuditCreate = "create"
	AuditUpdate = "update"
	AuditVerify = "verify"
	AuditVoid   = "void"
)

// TurnoverGroup is what turnover statistics are grouped by.
type TurnoverGroup string

// The groupings of turnover statistics.
const (
	ByYear         TurnoverGroup = "year"
	ByQuarter      TurnoverGroup = "quarter"
	ByMonth        TurnoverGroup = "month"
	ByCounty       TurnoverGroup = "county"
	ByIndustry     TurnoverGroup = "industry"
	ByType         TurnoverGroup = "type"
	BySourceRegion TurnoverGroup = "source_region"
	ByDirection    TurnoverGroup = "direction"
)

// Valid reports whether g is a known grouping.
func (g TurnoverGroup) Valid() bool {
	switch g {
	case ByYear, ByQuarter, ByMonth, ByCounty, ByIndustry, ByType, BySourceRegion, ByDirection:
		return true
	}
	return false
}

// TurnoverRow is one group of turnover statistics: exact sums in fen.
type TurnoverRow struct {
	Key            string `json:"key"`
	Name           string `json:"name"`
	Contracts      int64  `json:"contracts"`
	AmountYuan     Yuan   `json:"amount_yuan"`
	TechAmountYuan Yuan   `json:"tech_amount_yuan"`
	// AmountYi is AmountYuan in 亿元 (10^8 yuan) with four decimals,
	// rounded half away from zero.
	AmountYi string `json:"amount_yi"`
}

// TurnoverFilter selects the contracts that turnover statistics add up.
// Statuses default to recorded and verified; void contracts never count.
type TurnoverFilter struct {
	ContractFilter
	GroupBy TurnoverGroup
}

// DealLookup finds the parties of signed deals, so that a member of a
// party's organization may record the contract of a signed deal. Deals
// come with the brokering issue; until one is wired, contracts that name a
// deal_id are refused.
type DealLookup interface {
	// FindSignedDealParties returns the organizations of the need's owner
	// and of the result's owner of a signed deal. ENOTFOUND when the deal
	// does not exist or is not signed.
	FindSignedDealParties(ctx context.Context, dealID string) (needOrgID, resultOrgID string, err error)
}

// ContractService records technology contracts, their audit trail and the
// turnover they add up to. The acting user is taken from the context.
type ContractService interface {
	// CreateContract validates and records nc, with its audit record, once
	// per idempotency key: a repeated key with the same fingerprint returns
	// the contract first recorded under it and replayed true. EINVALID
	// (including a key reused with another body), ECONFLICT (registration
	// number taken).
	CreateContract(ctx context.Context, nc *NewContract, key IdempotencyKey) (c *Contract, replayed bool, err error)
	// FindContractByID returns one contract. ENOTFOUND.
	FindContractByID(ctx context.Context, id string) (*Contract, error)
	// FindContracts returns a page of contracts, newest signing date first,
	// the number of contracts matching the filter, and the cursor of the
	// next page ("" on the last). EINVALID.
	FindContracts(ctx context.Context, f ContractFilter) (items []*Contract, total int, next string, err error)
	// UpdateContract changes a recorded contract. ENOTFOUND, EINVALID,
	// ECONFLICT (not recorded any more, or registration number taken).
	UpdateContract(ctx context.Context, id string, upd *ContractUpdate) (*Contract, error)
	// VerifyContract marks a recorded contract verified (认定登记), giving
	// it registrationNo or, when that is empty and it has none, a new
	// registration number. ENOTFOUND, ECONFLICT.
	VerifyContract(ctx context.Context, id, registrationNo string) (*Contract, error)
	// VoidContract voids a recorded or verified contract. ENOTFOUND,
	// EINVALID (no reason), ECONFLICT (already void).
	VoidContract(ctx context.Context, id, reason string) (*Contract, error)
	// FindContractAudit returns a contract's audit records, oldest first.
	// ENOTFOUND.
	FindContractAudit(ctx context.Context, id string) ([]*AuditRecord, error)
	// Turnover adds up contracts by the filter's grouping. EINVALID.
	Turnover(ctx context.Context, f TurnoverFilter) ([]TurnoverRow, error)
}
