package httpapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/techx-cz/techx/internal/techx"
)

// MaxExportRows is the most contracts one export returns; narrow the
// filters for more.
const MaxExportRows = 100_000

func handleContractCreate(svc techx.ContractService, deals techx.DealLookup) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		u := techx.UserFromContext(ctx)
		var nc techx.NewContract
		if err := decode(c, &nc); err != nil {
			writeError(c, err)
			return
		}
		fingerprint := nc.Fingerprint()
		if !u.IsStaff() && nc.DealID == nil {
			writeError(c, techx.Errorf(techx.EFORBIDDEN,
				"Brokers and admins record contracts; a party of a signed deal may record that deal's contract by giving deal_id."))
			return
		}
		key := c.GetHeader("Idempotency-Key")
		if !techx.ValidIdempotencyKey(key) {
			writeError(c, &techx.Error{Code: techx.EMALFORMED,
				Message: "Send an Idempotency-Key header (1 to 200 printable ASCII characters) so the contract is never recorded twice.",
				Fields:  []techx.FieldError{{Field: "Idempotency-Key", Message: "header is required"}}})
			return
		}
		if nc.DealID != nil {
			unknown := &techx.Error{Code: techx.EINVALID, Message: "The contract names a deal that is unknown or not signed.",
				Fields: []techx.FieldError{{Field: "deal_id", Message: "unknown deal"}}}
			if deals == nil {
				writeError(c, unknown)
				return
			}
			needOrg, resultOrg, err := deals.FindSignedDealParties(ctx, strings.TrimSpace(*nc.DealID))
			if techx.ErrorCode(err) == techx.ENOTFOUND {
				writeError(c, unknown)
				return
			} else if err != nil {
				writeError(c, err)
				return
			}
			if !u.IsStaff() && u.OrgID != needOrg && u.OrgID != resultOrg {
				writeError(c, techx.Errorf(techx.EFORBIDDEN, "Only the parties of the deal, brokers and admins may record its contract."))
				return
			}
		}
		ct, replayed, err := svc.CreateContract(ctx, &nc, techx.IdempotencyKey{Key: key, Fingerprint: fingerprint})
		if err != nil {
			writeError(c, err)
			return
		}
		if replayed {
			c.Header("Idempotent-Replayed", "true")
		}
		writeJSON(c, http.StatusCreated, ct)
	}
}

// contractFilter reads the list filters shared by the contract list, the
// export and the turnover statistics.
func contractFilter(c *gin.Context, v *techx.Validation) techx.ContractFilter {
	f := techx.ContractFilter{From: c.Query("from"), To: c.Query("to"), County: c.Query("county"),
		Industry: c.Query("industry"), Type: techx.ContractType(c.Query("type")),
		Direction: techx.Direction(c.Query("direction")), SourceRegion: c.Query("source_region")}
	if s := c.Query("year"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1980 && n <= 9999, "year", "must be a year such as 2024")
		f.Year = n
	}
	for _, s := range c.QueryArray("status") {
		for _, st := range strings.Split(s, ",") {
			if st = strings.TrimSpace(st); st != "" {
				f.Statuses = append(f.Statuses, techx.ContractStatus(st))
			}
		}
	}
	return f
}

func handleContractList(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		var v techx.Validation
		f := contractFilter(c, &v)
		f.Cursor, f.PageSize = c.Query("cursor"), 20
		if s := c.Query("page_size"); s != "" {
			n, err := strconv.Atoi(s)
			v.Check(err == nil && n >= 1 && n <= MaxPageSize, "page_size", "must be 1 to %d", MaxPageSize)
			f.PageSize = n
		}
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		items, total, next, err := svc.FindContracts(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		writeList(c, items, total, next)
	}
}

// loadVisibleContract loads the contract of the :id parameter, or writes
// 404 when it does not exist or the caller may not see it.
func loadVisibleContract(c *gin.Context, svc techx.ContractService) (*techx.Contract, bool) {
	ct, err := svc.FindContractByID(c.Request.Context(), c.Param("id"))
	if err == nil && !techx.CanSeeContract(techx.UserFromContext(c.Request.Context()), ct) {
		err = techx.Errorf(techx.ENOTFOUND, "Contract not found.")
	}
	if err != nil {
		writeError(c, err)
		return nil, false
	}
	return ct, true
}

func handleContractGet(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		if ct, ok := loadVisibleContract(c, svc); ok {
			writeJSON(c, http.StatusOK, ct)
		}
	}
}

func handleContractUpdate(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		var upd techx.ContractUpdate
		if err := decode(c, &upd); err != nil {
			writeError(c, err)
			return
		}
		ct, err := svc.UpdateContract(c.Request.Context(), c.Param("id"), &upd)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, ct)
	}
}

type verifyRequest struct {
	RegistrationNo string `json:"registration_no"`
}

func handleContractVerify(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		var r verifyRequest
		if c.Request.ContentLength != 0 {
			if err := decode(c, &r); err != nil {
				writeError(c, err)
				return
			}
		}
		ct, err := svc.VerifyContract(c.Request.Context(), c.Param("id"), r.RegistrationNo)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, ct)
	}
}

type voidRequest struct {
	Reason string `json:"reason"`
}

func handleContractVoid(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		var r voidRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		ct, err := svc.VoidContract(c.Request.Context(), c.Param("id"), r.Reason)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, ct)
	}
}

func handleContractAudit(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		recs, err := svc.FindContractAudit(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		writeList(c, recs, len(recs), "")
	}
}

// csvSafe keeps a spreadsheet from reading a text cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var contractColumns = []string{"id", "registration_no", "status", "title", "type", "type_name", "seller_name", "seller_uscc",
	"seller_region", "buyer_name", "buyer_uscc", "buyer_region", "amount_yuan", "tech_amount_yuan", "signed_on",
	"county", "county_name", "industry", "industry_name", "direction", "direction_name", "source_region", "source_region_name"}

func contractRecord(ct *techx.Contract) []string {
	reg := ""
	if ct.RegistrationNo != nil {
		reg = *ct.RegistrationNo
	}
	return []string{ct.ID, csvSafe(reg), string(ct.Status), csvSafe(ct.Title), string(ct.Type), ct.TypeName,
		csvSafe(ct.Seller.Name), ct.Seller.USCC, ct.Seller.Region, csvSafe(ct.Buyer.Name), ct.Buyer.USCC, ct.Buyer.Region,
		ct.AmountYuan.String(), ct.TechAmountYuan.String(), ct.SignedOn, ct.County, ct.CountyName, ct.Industry,
		ct.IndustryName, string(ct.Direction), ct.DirectionName, ct.SourceRegion, ct.SourceRegionName}
}

// xlsxType is the media type of an Excel workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func handleContractExport(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		var v techx.Validation
		f := contractFilter(c, &v)
		format := c.DefaultQuery("format", "csv")
		v.Check(format == "csv" || format == "xlsx", "format", "must be csv or xlsx")
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		f.PageSize = MaxExportRows
		items, total, _, err := svc.FindContracts(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		if total > MaxExportRows {
			writeError(c, techx.Errorf(techx.EINVALID, "%d contracts match; an export holds at most %d. Narrow the filters.", total, MaxExportRows))
			return
		}
		rows := make([][]string, 0, len(items)+1)
		rows = append(rows, contractColumns)
		for _, ct := range items {
			rows = append(rows, contractRecord(ct))
		}
		if format == "csv" {
			writeCSV(c, "contracts.csv", rows)
			return
		}
		b, err := xlsxOf("contracts", rows)
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="contracts.xlsx"`)
		c.Data(http.StatusOK, xlsxType, b)
	}
}

func writeCSV(c *gin.Context, filename string, rows [][]string) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows)
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// xlsxOf writes rows to a one-sheet workbook. Every cell is text, amounts
// included, so the exact decimal string is kept and never becomes a float.
func xlsxOf(sheet string, rows [][]string) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, s := range r {
			cells[j] = s
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// turnoverSum is the total over every group of a turnover query.
type turnoverSum struct {
	Contracts      int64      `json:"contracts"`
	AmountYuan     techx.Yuan `json:"amount_yuan"`
	TechAmountYuan techx.Yuan `json:"tech_amount_yuan"`
	AmountYi       string     `json:"amount_yi"`
}

func handleTurnover(svc techx.ContractService) gin.HandlerFunc {
	return func(c *gin.Context) {
		var v techx.Validation
		f := techx.TurnoverFilter{ContractFilter: contractFilter(c, &v), GroupBy: techx.TurnoverGroup(c.DefaultQuery("group_by", "year"))}
		format := c.DefaultQuery("format", "json")
		v.Check(format == "json" || format == "csv", "format", "must be json or csv")
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		rows, err := svc.Turnover(c.Request.Context(), f)
		if err != nil {
			writeError(c, err)
			return
		}
		var sum turnoverSum
		for _, r := range rows {
			sum.Contracts += r.Contracts
			if sum.AmountYuan, err = techx.SumYuan(sum.AmountYuan, r.AmountYuan); err == nil {
				sum.TechAmountYuan, err = techx.SumYuan(sum.TechAmountYuan, r.TechAmountYuan)
			}
			if err != nil {
				writeError(c, err)
				return
			}
		}
		sum.AmountYi = techx.YuanToYiString(int64(sum.AmountYuan), 4)
		if format == "csv" {
			out := [][]string{{"key", "name", "contracts", "amount_yuan", "tech_amount_yuan", "amount_yi"}}
			for _, r := range rows {
				out = append(out, []string{r.Key, r.Name, strconv.FormatInt(r.Contracts, 10), r.AmountYuan.String(),
					r.TechAmountYuan.String(), r.AmountYi})
			}
			out = append(out, []string{"total", "合计", strconv.FormatInt(sum.Contracts, 10), sum.AmountYuan.String(),
				sum.TechAmountYuan.String(), sum.AmountYi})
			writeCSV(c, "turnover-"+string(f.GroupBy)+".csv", out)
			return
		}
		writeJSON(c, http.StatusOK, gin.H{"group_by": f.GroupBy, "items": rows, "total": len(rows), "next": nil, "sum": sum})
	}
}
