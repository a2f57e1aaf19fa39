package store

import (
	"context"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/techx-cz/techx/internal/techx"
)

// ImportFirstRow is the spreadsheet row number of the first data row (the
// header is row 1); import errors name rows this way.
const ImportFirstRow = 2

// importErrors turns a validation error of row i into row errors.
func importErrors(i int, err error, into *techx.ImportError) {
	var fields []techx.FieldError
	if e, ok := err.(*techx.Error); ok && len(e.Fields) > 0 {
		fields = e.Fields
	} else {
		fields = []techx.FieldError{{Field: "", Message: techx.ErrorMessage(err)}}
	}
	for _, f := range fields {
		into.Rows = append(into.Rows, techx.RowError{Row: i + ImportFirstRow, Field: f.Field, Message: f.Message})
	}
}

// ImportNeeds implements techx.CatalogService: every row is validated and
// either all are stored as drafts (with their outbox rows) in one
// transaction, or none is and the error lists every failing row.
func (s *CatalogService) ImportNeeds(ctx context.Context, rows []*techx.NeedInput, prior *techx.ImportError) ([]*techx.Need, error) {
	u := techx.UserFromContext(ctx)
	if u == nil || u.Role != techx.RoleEnterprise {
		return nil, techx.Errorf(techx.EFORBIDDEN, "Only enterprise users import needs.")
	}
	now := s.db.Now()
	ie := startImport(prior)
	needs := make([]*techx.Need, 0, len(rows))
	for i, in := range rows {
		if in == nil {
			continue
		}
		n, err := newNeed(u, in, s.tx, now)
		if err != nil {
			importErrors(i, err, ie)
			continue
		}
		needs = append(needs, n)
	}
	if len(ie.Rows) > 0 {
		sortRows(ie.Rows)
		return nil, ie
	}
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		for _, n := range needs {
			if err := tx.Create(needToRow(n)).Error; err != nil {
				return err
			}
			if err := appendOutbox(tx, techx.KindNeed, n.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, dbError(err)
	}
	return needs, nil
}

// ImportResults implements techx.CatalogService, as ImportNeeds.
func (s *CatalogService) ImportResults(ctx context.Context, rows []*techx.ResultInput, prior *techx.ImportError) ([]*techx.Result, error) {
	u := techx.UserFromContext(ctx)
	if u == nil || u.Role != techx.RoleInstitution {
		return nil, techx.Errorf(techx.EFORBIDDEN, "Only institution users import results.")
	}
	now := s.db.Now()
	ie := startImport(prior)
	results := make([]*techx.Result, 0, len(rows))
	for i, in := range rows {
		if in == nil {
			continue
		}
		x, err := newResult(u, in, s.tx, now)
		if err != nil {
			importErrors(i, err, ie)
			continue
		}
		results = append(results, x)
	}
	if len(ie.Rows) > 0 {
		sortRows(ie.Rows)
		return nil, ie
	}
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		for _, x := range results {
			if err := tx.Create(resultToRow(x)).Error; err != nil {
				return err
			}
			if err := appendOutbox(tx, techx.KindResult, x.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, dbError(err)
	}
	return results, nil
}

// startImport copies the rows that could not be read into a new report.
func startImport(prior *techx.ImportError) *techx.ImportError {
	ie := &techx.ImportError{}
	if prior != nil {
		ie.Rows = append(ie.Rows, prior.Rows...)
	}
	return ie
}

func sortRows(rows []techx.RowError) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
}

// BulkInsert stores already-validated listings with their outbox rows in
// transactions of batch rows: the path of `techx gen` (load generation),
// which must exercise the same tables and outbox as the API at a rate the
// API's one-transaction-per-request path cannot reach.
func (s *CatalogService) BulkInsert(ctx context.Context, needs []*techx.Need, results []*techx.Result, batch int) error {
	if batch <= 0 {
		batch = 1000
	}
	now := s.db.Now()
	for i := 0; i < len(needs); i += batch {
		part := needs[i:min(i+batch, len(needs))]
		err := s.db.tx(ctx, func(tx *gorm.DB) error {
			rows := make([]*needRow, len(part))
			for j, n := range part {
				rows[j] = needToRow(n)
			}
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
			return appendOutboxBatch(tx, techx.KindNeed, part, func(n *techx.Need) string { return n.ID }, now)
		})
		if err != nil {
			return dbError(err)
		}
	}
	for i := 0; i < len(results); i += batch {
		part := results[i:min(i+batch, len(results))]
		err := s.db.tx(ctx, func(tx *gorm.DB) error {
			rows := make([]*resultRow, len(part))
			for j, r := range part {
				rows[j] = resultToRow(r)
			}
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
			return appendOutboxBatch(tx, techx.KindResult, part, func(r *techx.Result) string { return r.ID }, now)
		})
		if err != nil {
			return dbError(err)
		}
	}
	return nil
}

func appendOutboxBatch[T any](tx *gorm.DB, kind string, items []T, id func(T) string, now time.Time) error {
	type outboxRow struct {
		Kind      string
		EntityID  string
		CreatedAt time.Time
	}
	rows := make([]outboxRow, len(items))
	for i, it := range items {
		rows[i] = outboxRow{Kind: kind, EntityID: id(it), CreatedAt: now}
	}
	return tx.Table("outbox").CreateInBatches(rows, 500).Error
}
