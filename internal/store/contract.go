package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/techx-cz/techx/internal/techx"
)

type contractRow struct {
	ID             string
	DealID         *string
	Title          string
	Type           string
	SellerName     string
	SellerUSCC     string  `gorm:"column:seller_uscc"`
	SellerOrgID    *string `gorm:"column:seller_org_id"`
	SellerRegion   string
	BuyerName      string
	BuyerUSCC      string  `gorm:"column:buyer_uscc"`
	BuyerOrgID     *string `gorm:"column:buyer_org_id"`
	BuyerRegion    string
	AmountFen      int64
	TechAmountFen  int64
	SignedOn       string
	County         string
	Industry       string
	RegistrationNo *string
	Direction      string
	SourceRegion   string
	Status         string
	VoidReason     *string
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	VerifiedAt     *time.Time
	VoidedAt       *time.Time
}

func (contractRow) TableName() string { return "contracts" }

func (r *contractRow) domain(tx *techx.Taxonomy) *techx.Contract {
	c := &techx.Contract{ID: r.ID, DealID: r.DealID, Title: r.Title, Type: techx.ContractType(r.Type),
		Seller:     techx.Party{Name: r.SellerName, USCC: r.SellerUSCC, Region: r.SellerRegion},
		Buyer:      techx.Party{Name: r.BuyerName, USCC: r.BuyerUSCC, Region: r.BuyerRegion},
		AmountYuan: techx.Yuan(r.AmountFen), TechAmountYuan: techx.Yuan(r.TechAmountFen), SignedOn: r.SignedOn,
		County: r.County, Industry: r.Industry, RegistrationNo: r.RegistrationNo, Direction: techx.Direction(r.Direction),
		SourceRegion: r.SourceRegion, Status: techx.ContractStatus(r.Status), VoidReason: r.VoidReason,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		VerifiedAt: utcPtr(r.VerifiedAt), VoidedAt: utcPtr(r.VoidedAt)}
	if r.SellerOrgID != nil {
		c.Seller.OrgID = *r.SellerOrgID
	}
	if r.BuyerOrgID != nil {
		c.Buyer.OrgID = *r.BuyerOrgID
	}
	c.Describe(tx)
	return c
}

func contractToRow(c *techx.Contract) *contractRow {
	return &contractRow{ID: c.ID, DealID: c.DealID, Title: c.Title, Type: string(c.Type),
		SellerName: c.Seller.Name, SellerUSCC: c.Seller.USCC, SellerOrgID: strPtr(c.Seller.OrgID), SellerRegion: c.Seller.Region,
		BuyerName: c.Buyer.Name, BuyerUSCC: c.Buyer.USCC, BuyerOrgID: strPtr(c.Buyer.OrgID), BuyerRegion: c.Buyer.Region,
		AmountFen: int64(c.AmountYuan), TechAmountFen: int64(c.TechAmountYuan), SignedOn: c.SignedOn,
		County: c.County, Industry: c.Industry, RegistrationNo: c.RegistrationNo, Direction: string(c.Direction),
		SourceRegion: c.SourceRegion, Status: string(c.Status), VoidReason: c.VoidReason, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, VerifiedAt: c.VerifiedAt, VoidedAt: c.VoidedAt}
}

type idempotencyRow struct {
	UserID       string
	IdemKey      string
	Fingerprint  string
	ContractID   string
	ResponseJSON string `gorm:"column:response_json"`
	CreatedAt    time.Time
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

type contractAuditRow struct {
	ID         int64
	ContractID string
	Action     string
	ActorID    string
	At         time.Time
	BeforeJSON *string `gorm:"column:before_json"`
	AfterJSON  string  `gorm:"column:after_json"`
}

func (contractAuditRow) TableName() string { return "contract_audit" }

// ContractService implements techx.ContractService on the database.
type ContractService struct {
	db *DB
	tx *techx.Taxonomy
}

// NewContractService returns a ContractService on db, validating codes
// against tx.
func NewContractService(db *DB, tx *techx.Taxonomy) *ContractService {
	return &ContractService{db: db, tx: tx}
}

var _ techx.ContractService = (*ContractService)(nil)

// errKeyTaken signals, inside the create transaction, that another request
// recorded under the same idempotency key first.
var errKeyTaken = errors.New("idempotency key taken")

func contractActor(ctx context.Context) (*techx.User, error) {
	u := techx.UserFromContext(ctx)
	if u == nil {
		return nil, techx.Errorf(techx.EUNAUTHORIZED, "Log in first.")
	}
	return u, nil
}

// CreateContract implements techx.ContractService. The idempotency row is
// the first write of the transaction, so of two concurrent requests under
// one key the second waits on its unique index (PostgreSQL) or on the
// write lock (SQLite), then finds the first's row and replays it.
func (s *ContractService) CreateContract(ctx context.Context, nc *techx.NewContract, key techx.IdempotencyKey) (c *techx.Contract, replayed bool, err error) {
	defer techx.Wrap(&err, "CreateContract(key %q)", key.Key)
	u, err := contractActor(ctx)
	if err != nil {
		return nil, false, err
	}
	if c, ok, err := s.replay(ctx, u.ID, key); err != nil || ok {
		return c, ok, err
	}
	now := s.db.Now()
	d, err := nc.Validate(s.tx, techx.Today(now))
	if err != nil {
		return nil, false, err
	}
	c = &techx.Contract{ID: newID(), DealID: nc.DealID, Title: nc.Title, Type: nc.Type, Seller: nc.Seller, Buyer: nc.Buyer,
		AmountYuan: *nc.AmountYuan, TechAmountYuan: *nc.TechAmountYuan, SignedOn: nc.SignedOn, County: nc.County,
		Industry: nc.Industry, RegistrationNo: strPtr(nc.RegistrationNo), Direction: d.Direction, SourceRegion: d.SourceRegion,
		Status: techx.ContractRecorded, CreatedBy: u.ID, CreatedAt: now, UpdatedAt: now}
	c.Describe(s.tx)
	snap, err := json.Marshal(c)
	if err != nil {
		return nil, false, err
	}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row := idempotencyRow{UserID: u.ID, IdemKey: key.Key, Fingerprint: key.Fingerprint, ContractID: c.ID,
			ResponseJSON: string(snap), CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			if isUniqueViolation(err) {
				return errKeyTaken
			}
			return err
		}
		if err := checkPartyOrgs(tx, &c.Seller, &c.Buyer); err != nil {
			return err
		}
		if err := tx.Create(contractToRow(c)).Error; err != nil {
			if isUniqueViolation(err) {
				return registrationTaken()
			}
			return err
		}
		return appendContractAudit(tx, c.ID, techx.AuditCreate, u.ID, now, nil, snap)
	})
	if errors.Is(err, errKeyTaken) {
		c, ok, err := s.replay(ctx, u.ID, key)
		if err == nil && !ok {
			err = fmt.Errorf("idempotency key row vanished")
		}
		return c, ok, err
	}
	if err != nil {
		return nil, false, dbError(err)
	}
	return c, false, nil
}

// replay returns the contract first recorded under the user's key, if any;
// a key reused with another body is EINVALID.
func (s *ContractService) replay(ctx context.Context, userID string, key techx.IdempotencyKey) (*techx.Contract, bool, error) {
	var row idempotencyRow
	err := s.db.gorm.WithContext(ctx).Where("user_id = ? AND idem_key = ?", userID, key.Key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, dbError(err)
	}
	if row.Fingerprint != key.Fingerprint {
		return nil, false, &techx.Error{Code: techx.EINVALID,
			Message: "This Idempotency-Key was already used with a different request body; use a new key for a new contract.",
			Fields:  []techx.FieldError{{Field: "Idempotency-Key", Message: "already used with a different body"}}}
	}
	var c techx.Contract
	if err := json.Unmarshal([]byte(row.ResponseJSON), &c); err != nil {
		return nil, false, fmt.Errorf("stored response of key %q: %w", key.Key, err)
	}
	return &c, true, nil
}

func registrationTaken() error {
	return &techx.Error{Code: techx.ECONFLICT, Message: "Another contract already has this registration number.",
		Fields: []techx.FieldError{{Field: "registration_no", Message: "already taken"}}}
}

// checkPartyOrgs refuses org_id values naming no organization.
func checkPartyOrgs(tx *gorm.DB, seller, buyer *techx.Party) error {
	var v techx.Validation
	for _, p := range []struct {
		field string
		p     *techx.Party
	}{{"seller.org_id", seller}, {"buyer.org_id", buyer}} {
		if p.p.OrgID == "" {
			continue
		}
		var n int64
		if err := tx.Model(&orgRow{}).Where("id = ?", p.p.OrgID).Count(&n).Error; err != nil {
			return err
		}
		v.Check(n == 1, p.field, "unknown organization")
	}
	return v.Err()
}

// appendContractAudit writes one audit record; the table refuses changes later.
func appendContractAudit(tx *gorm.DB, contractID, action, actorID string, at time.Time, before, after []byte) error {
	row := contractAuditRow{ContractID: contractID, Action: action, ActorID: actorID, At: at, AfterJSON: string(after)}
	if before != nil {
		b := string(before)
		row.BeforeJSON = &b
	}
	return tx.Omit("id").Create(&row).Error
}

// FindContractByID implements techx.ContractService.
func (s *ContractService) FindContractByID(ctx context.Context, id string) (*techx.Contract, error) {
	row, err := loadContract(s.db.gorm.WithContext(ctx), id, false)
	if err != nil {
		return nil, dbError(err)
	}
	return row.domain(s.tx), nil
}

func contractNotFound() error { return techx.Errorf(techx.ENOTFOUND, "Contract not found.") }

func loadContract(g *gorm.DB, id string, lock bool) (*contractRow, error) {
	var row contractRow
	if lock {
		g = g.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := g.Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, contractNotFound()
	}
	return &row, err
}

// filterContracts applies the filter's conditions (not the cursor).
func filterContracts(q *gorm.DB, f *techx.ContractFilter) *gorm.DB {
	if f.Year != 0 {
		q = q.Where("signed_on >= ? AND signed_on <= ?", fmt.Sprintf("%04d-01-01", f.Year), fmt.Sprintf("%04d-12-31", f.Year))
	}
	if f.From != "" {
		q = q.Where("signed_on >= ?", f.From)
	}
	if f.To != "" {
		q = q.Where("signed_on <= ?", f.To)
	}
	if f.County != "" {
		q = q.Where("county = ?", f.County)
	}
	if f.Industry != "" {
		q = q.Where("industry = ?", f.Industry)
	}
	if f.Type != "" {
		q = q.Where("type = ?", string(f.Type))
	}
	if f.Direction != "" {
		q = q.Where("direction = ?", string(f.Direction))
	}
	if f.SourceRegion != "" {
		q = q.Where("source_region = ?", f.SourceRegion)
	}
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ss[i] = string(st)
		}
		q = q.Where("status IN ?", ss)
	}
	return q
}

// FindContracts implements techx.ContractService.
func (s *ContractService) FindContracts(ctx context.Context, f techx.ContractFilter) (items []*techx.Contract, total int, next string, err error) {
	if err := f.Validate(s.tx); err != nil {
		return nil, 0, "", err
	}
	g := s.db.gorm.WithContext(ctx)
	var n int64
	if err := filterContracts(g.Model(&contractRow{}), &f).Count(&n).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	q := filterContracts(g.Model(&contractRow{}), &f)
	if f.Cursor != "" {
		cur, err := techx.ParseContractCursor(f.Cursor)
		if err != nil {
			return nil, 0, "", err
		}
		q = q.Where("(signed_on < ? OR (signed_on = ? AND id < ?))", cur.SignedOn, cur.SignedOn, cur.ID)
	}
	q = q.Order("signed_on DESC").Order("id DESC")
	if f.PageSize > 0 {
		q = q.Limit(f.PageSize + 1)
	}
	var rows []contractRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	if f.PageSize > 0 && len(rows) > f.PageSize {
		rows = rows[:f.PageSize]
		last := rows[len(rows)-1]
		next = techx.ContractCursor{SignedOn: last.SignedOn, ID: last.ID}.Encode()
	}
	items = make([]*techx.Contract, len(rows))
	for i := range rows {
		items[i] = rows[i].domain(s.tx)
	}
	return items, int(n), next, nil
}

// change runs fn on the locked contract in one transaction and writes the
// result and an audit record. fn returns the action taken.
func (s *ContractService) change(ctx context.Context, id string, fn func(tx *gorm.DB, c *techx.Contract, now time.Time) (string, error)) (c *techx.Contract, err error) {
	u, err := contractActor(ctx)
	if err != nil {
		return nil, err
	}
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		row, err := loadContract(tx, id, true)
		if err != nil {
			return err
		}
		before := row.domain(s.tx)
		beforeJSON, err := json.Marshal(before)
		if err != nil {
			return err
		}
		c = row.domain(s.tx)
		now := s.db.Now()
		action, err := fn(tx, c, now)
		if err != nil {
			return err
		}
		c.UpdatedAt = now
		c.Describe(s.tx)
		if err := tx.Select("*").Omit("id", "created_at", "created_by").Where("id = ?", id).Updates(contractToRow(c)).Error; err != nil {
			if isUniqueViolation(err) {
				return registrationTaken()
			}
			return err
		}
		afterJSON, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return appendContractAudit(tx, c.ID, action, u.ID, now, beforeJSON, afterJSON)
	})
	if err != nil {
		return nil, dbError(err)
	}
	return c, nil
}

// UpdateContract implements techx.ContractService.
func (s *ContractService) UpdateContract(ctx context.Context, id string, upd *techx.ContractUpdate) (c *techx.Contract, err error) {
	defer techx.Wrap(&err, "UpdateContract(%q)", id)
	return s.change(ctx, id, func(tx *gorm.DB, c *techx.Contract, now time.Time) (string, error) {
		if c.Status != techx.ContractRecorded {
			return "", techx.Errorf(techx.ECONFLICT, "Only a recorded contract may be changed; this one is %s.", c.Status)
		}
		nc := upd.Apply(c)
		d, err := nc.Validate(s.tx, techx.Today(now))
		if err != nil {
			return "", err
		}
		if err := checkPartyOrgs(tx, &nc.Seller, &nc.Buyer); err != nil {
			return "", err
		}
		c.Title, c.Type, c.Seller, c.Buyer = nc.Title, nc.Type, nc.Seller, nc.Buyer
		c.AmountYuan, c.TechAmountYuan, c.SignedOn = *nc.AmountYuan, *nc.TechAmountYuan, nc.SignedOn
		c.County, c.Industry, c.RegistrationNo = nc.County, nc.Industry, strPtr(nc.RegistrationNo)
		c.Direction, c.SourceRegion = d.Direction, d.SourceRegion
		return techx.AuditUpdate, nil
	})
}

// RegistrationPrefix starts every registration number the platform gives
// out: Cangzhou's administrative division code.
const RegistrationPrefix = "130900"

// VerifyContract implements techx.ContractService. A number it makes is
// RegistrationPrefix, the year of registration (in Cangzhou) and a
// six-digit sequence within that year: 1309002026000001.
func (s *ContractService) VerifyContract(ctx context.Context, id, registrationNo string) (c *techx.Contract, err error) {
	defer techx.Wrap(&err, "VerifyContract(%q)", id)
	registrationNo = strings.TrimSpace(registrationNo)
	if len(registrationNo) > 64 {
		return nil, &techx.Error{Code: techx.EINVALID, Message: "The registration number is too long.",
			Fields: []techx.FieldError{{Field: "registration_no", Message: "must be at most 64 characters"}}}
	}
	// A generated number may race another verification to the unique
	// index; the loser computes the next number and tries again.
	for attempt := 0; ; attempt++ {
		generated := false
		c, err = s.change(ctx, id, func(tx *gorm.DB, c *techx.Contract, now time.Time) (string, error) {
			if c.Status != techx.ContractRecorded {
				return "", techx.Errorf(techx.ECONFLICT, "Only a recorded contract may be verified; this one is %s.", c.Status)
			}
			switch {
			case registrationNo != "":
				c.RegistrationNo = &registrationNo
			case c.RegistrationNo == nil:
				no, err := nextRegistrationNo(tx, techx.Today(now)[:4])
				if err != nil {
					return "", err
				}
				c.RegistrationNo, generated = &no, true
			}
			c.Status, c.VerifiedAt = techx.ContractVerified, &now
			return techx.AuditVerify, nil
		})
		if generated && techx.ErrorCode(err) == techx.ECONFLICT && attempt < 5 {
			continue
		}
		return c, err
	}
}

func nextRegistrationNo(tx *gorm.DB, year string) (string, error) {
	prefix := RegistrationPrefix + year
	var last *string
	err := tx.Model(&contractRow{}).Select("MAX(registration_no)").
		Where("registration_no LIKE ? AND LENGTH(registration_no) = ?", prefix+"%", len(prefix)+6).Scan(&last).Error
	if err != nil {
		return "", err
	}
	seq := 1
	if last != nil && *last != "" {
		n, err := strconv.Atoi((*last)[len(prefix):])
		if err != nil {
			return "", fmt.Errorf("registration number %q: %w", *last, err)
		}
		seq = n + 1
	}
	return fmt.Sprintf("%s%06d", prefix, seq), nil
}

// VoidContract implements techx.ContractService.
func (s *ContractService) VoidContract(ctx context.Context, id, reason string) (c *techx.Contract, err error) {
	defer techx.Wrap(&err, "VoidContract(%q)", id)
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 500 {
		return nil, &techx.Error{Code: techx.EINVALID, Message: "Give the reason for voiding the contract.",
			Fields: []techx.FieldError{{Field: "reason", Message: "must be 2 to 500 characters"}}}
	}
	return s.change(ctx, id, func(tx *gorm.DB, c *techx.Contract, now time.Time) (string, error) {
		if c.Status == techx.ContractVoid {
			return "", techx.Errorf(techx.ECONFLICT, "The contract is already void.")
		}
		c.Status, c.VoidReason, c.VoidedAt = techx.ContractVoid, &reason, &now
		return techx.AuditVoid, nil
	})
}

// FindContractAudit implements techx.ContractService.
func (s *ContractService) FindContractAudit(ctx context.Context, id string) ([]*techx.AuditRecord, error) {
	g := s.db.gorm.WithContext(ctx)
	if _, err := loadContract(g, id, false); err != nil {
		return nil, dbError(err)
	}
	var rows []contractAuditRow
	if err := g.Where("contract_id = ?", id).Order("id").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.AuditRecord, len(rows))
	for i, r := range rows {
		a := &techx.AuditRecord{ID: r.ID, ContractID: r.ContractID, Action: r.Action, ActorID: r.ActorID,
			At: r.At.UTC(), After: json.RawMessage(r.AfterJSON)}
		if r.BeforeJSON != nil {
			a.Before = json.RawMessage(*r.BeforeJSON)
		} else {
			a.Before = json.RawMessage("null")
		}
		out[i] = a
	}
	return out, nil
}

// turnoverColumn is the SQL expression each grouping groups by; quarters
// are grouped by month and folded in Go.
var turnoverColumn = map[techx.TurnoverGroup]string{
	techx.ByYear:         "substr(signed_on, 1, 4)",
	techx.ByQuarter:      "substr(signed_on, 1, 7)",
	techx.ByMonth:        "substr(signed_on, 1, 7)",
	techx.ByCounty:       "county",
	techx.ByIndustry:     "industry",
	techx.ByType:         "type",
	techx.BySourceRegion: "source_region",
	techx.ByDirection:    "direction",
}

// turnoverStatuses returns the statuses turnover counts: recorded and
// verified by default; void never.
func turnoverStatuses(f *techx.TurnoverFilter) error {
	if len(f.Statuses) == 0 {
		f.Statuses = []techx.ContractStatus{techx.ContractRecorded, techx.ContractVerified}
		return nil
	}
	for _, st := range f.Statuses {
		if st == techx.ContractVoid {
			return &techx.Error{Code: techx.EINVALID, Message: "Void contracts never count toward turnover.",
				Fields: []techx.FieldError{{Field: "status", Message: "must be recorded or verified"}}}
		}
	}
	return nil
}

// Turnover implements techx.ContractService. Sums are integer fen added up
// by the database (BIGINT; an overflow is an error, never a wrap).
func (s *ContractService) Turnover(ctx context.Context, f techx.TurnoverFilter) ([]techx.TurnoverRow, error) {
	if f.GroupBy == "" {
		f.GroupBy = techx.ByYear
	}
	if !f.GroupBy.Valid() {
		return nil, &techx.Error{Code: techx.EINVALID, Message: "Unknown grouping.",
			Fields: []techx.FieldError{{Field: "group_by", Message: "must be one of year, quarter, month, county, industry, type, source_region, direction"}}}
	}
	if err := f.ContractFilter.Validate(s.tx); err != nil {
		return nil, err
	}
	if err := turnoverStatuses(&f); err != nil {
		return nil, err
	}
	col := turnoverColumn[f.GroupBy]
	var sums []struct {
		K      string
		N      int64
		Amount int64
		Tech   int64
	}
	q := filterContracts(s.db.gorm.WithContext(ctx).Model(&contractRow{}), &f.ContractFilter).
		Select(col + " AS k, COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS amount, CAST(SUM(tech_amount_fen) AS BIGINT) AS tech").
		Group(col)
	if err := q.Scan(&sums).Error; err != nil {
		return nil, dbError(err)
	}
	byKey := map[string]*techx.TurnoverRow{}
	var keys []string
	for _, r := range sums {
		k := r.K
		if f.GroupBy == techx.ByQuarter {
			m, _ := strconv.Atoi(k[5:7])
			k = fmt.Sprintf("%s-Q%d", k[:4], (m+2)/3)
		}
		row := byKey[k]
		if row == nil {
			row = &techx.TurnoverRow{Key: k}
			byKey[k] = row
			keys = append(keys, k)
		}
		var err error
		row.Contracts += r.N
		if row.AmountYuan, err = techx.SumYuan(row.AmountYuan, techx.Yuan(r.Amount)); err != nil {
			return nil, err
		}
		if row.TechAmountYuan, err = techx.SumYuan(row.TechAmountYuan, techx.Yuan(r.Tech)); err != nil {
			return nil, err
		}
	}
	out := make([]techx.TurnoverRow, 0, len(keys))
	for _, k := range keys {
		r := byKey[k]
		r.AmountYi = techx.YuanToYiString(int64(r.AmountYuan), 4)
		switch f.GroupBy {
		case techx.ByYear, techx.ByQuarter, techx.ByMonth:
		case techx.ByDirection:
			r.Name = techx.Direction(k).Name()
		case techx.BySourceRegion:
			r.Name = s.tx.SourceRegionName(k)
		default:
			r.Name = s.tx.Name(k)
		}
		out = append(out, *r)
	}
	timeKeyed := f.GroupBy == techx.ByYear || f.GroupBy == techx.ByQuarter || f.GroupBy == techx.ByMonth
	sort.Slice(out, func(i, j int) bool {
		if !timeKeyed && out[i].AmountYuan != out[j].AmountYuan {
			return out[i].AmountYuan > out[j].AmountYuan
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}
