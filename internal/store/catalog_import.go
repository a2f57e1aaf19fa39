package store

import (
	"context"
	"sort"

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
