package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/techx-cz/techx/internal/techx"
)

// Import limits.
const (
	MaxImportRows  = 5000
	MaxImportBytes = 16 << 20
)

// column is one column of an import file: its code (the JSON field), its
// Chinese header, and how a cell becomes JSON.
type column struct {
	Code, Name string
	Kind       string // text, list, int, bool, money, date
}

var needColumns = []column{
	{"title", "标题", "text"}, {"description", "需求描述", "text"}, {"industry", "行业代码", "text"},
	{"county", "县市区代码", "text"}, {"keywords", "关键词", "list"}, {"budget_wan", "预算(万元)", "money"},
	{"min_trl", "最低技术成熟度", "int"}, {"bottleneck", "是否卡脖子", "bool"}, {"cooperation_modes", "合作方式代码", "list"},
	{"deadline", "截止日期", "date"}, {"confidential", "是否保密", "bool"},
}

var resultColumns = []column{
	{"title", "成果名称", "text"}, {"abstract", "成果简介", "text"}, {"industry", "行业代码", "text"},
	{"source_region", "来源地区代码", "text"}, {"trl", "技术成熟度", "int"}, {"transfer_modes", "转化方式代码", "list"},
	{"price_wan", "价格(万元)", "money"}, {"patent_nos", "专利申请号", "list"}, {"keywords", "关键词", "list"},
}

// header renders a column's template header: 中文 (code).
func (c column) header() string { return c.Name + " (" + c.Code + ")" }

var headerCode = regexp.MustCompile(`\(([a-z_]+)\)\s*$`)

// matchHeader maps a header cell to a column: "中文 (code)", the code, or the Chinese name.
func matchHeader(cols []column, cell string) (column, bool) {
	cell = strings.TrimSpace(strings.TrimPrefix(cell, "\ufeff"))
	if m := headerCode.FindStringSubmatch(cell); m != nil {
		cell = m[1]
	}
	for _, c := range cols {
		if strings.EqualFold(cell, c.Code) || cell == c.Name {
			return c, true
		}
	}
	return column{}, false
}

var listSep = regexp.MustCompile(`[;；,，、|]`)

// cellJSON turns a cell into the JSON value of its column.
func cellJSON(c column, cell string) (json.RawMessage, error) {
	cell = strings.TrimSpace(cell)
	switch c.Kind {
	case "list":
		parts := []string{}
		for _, p := range listSep.Split(cell, -1) {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		return json.Marshal(parts)
	case "int":
		n, err := strconv.Atoi(cell)
		if err != nil {
			return nil, fmt.Errorf("must be a whole number")
		}
		return json.Marshal(n)
	case "bool":
		switch strings.ToLower(cell) {
		case "是", "true", "1", "y", "yes":
			return json.RawMessage("true"), nil
		case "否", "false", "0", "n", "no":
			return json.RawMessage("false"), nil
		}
		return nil, fmt.Errorf("must be 是 or 否 (true or false)")
	default: // text, money and date travel as strings
		return json.Marshal(cell)
	}
}

// importSlots bounds how many uploads are read and parsed at once: each
// holds its (up to 16 MiB) file several times over while it is parsed, so
// unbounded concurrent imports would grow memory with the number of
// clients (scripts/abuse.sh).
var importSlots = make(chan struct{}, 2)

// readTable reads the upload as rows of cells: CSV (UTF-8, with or without
// BOM) or XLSX (first sheet).
func readTable(c *gin.Context) ([][]string, error) {
	select {
	case importSlots <- struct{}{}:
		defer func() { <-importSlots }()
	case <-c.Request.Context().Done():
		return nil, techx.Errorf(techx.EUNAVAILABLE, "The import was cancelled while waiting for its turn.")
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, MaxImportBytes)
	var (
		data   []byte
		name   string
		format = c.Query("format")
		err    error
	)
	mt, params, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == "multipart/form-data" {
		c.Request.Body = body
		fh, ferr := c.FormFile("file")
		if ferr != nil {
			var mbe *http.MaxBytesError
			if errors.As(ferr, &mbe) {
				return nil, techx.Errorf(techx.ETOOLARGE, "The file is larger than %d MiB.", MaxImportBytes>>20)
			}
			return nil, &techx.Error{Code: techx.EINVALID, Message: "Upload the file in the form field \"file\".",
				Fields: []techx.FieldError{{Field: "file", Message: "is required"}}}
		}
		name = fh.Filename
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err = io.ReadAll(f)
		if err != nil {
			return nil, err
		}
		_ = params
	} else {
		data, err = io.ReadAll(body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, techx.Errorf(techx.ETOOLARGE, "The file is larger than %d MiB.", MaxImportBytes>>20)
		} else if err != nil {
			return nil, err
		}
	}
	if format == "" {
		switch {
		case strings.EqualFold(path.Ext(name), ".xlsx"), strings.Contains(mt, "spreadsheetml"):
			format = "xlsx"
		case bytes.HasPrefix(data, []byte("PK\x03\x04")):
			format = "xlsx"
		default:
			format = "csv"
		}
	}
	switch format {
	case "csv":
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			return nil, &techx.Error{Code: techx.EINVALID, Message: "The CSV file cannot be read: " + err.Error(),
				Fields: []techx.FieldError{{Field: "file", Message: err.Error()}}}
		}
		return rows, nil
	case "xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, &techx.Error{Code: techx.EINVALID, Message: "The XLSX file cannot be read.",
				Fields: []techx.FieldError{{Field: "file", Message: "is not a readable XLSX workbook"}}}
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, techx.Errorf(techx.EINVALID, "The workbook has no sheet.")
		}
		return f.GetRows(sheets[0])
	}
	return nil, &techx.Error{Code: techx.EINVALID, Message: "Unknown format.", Fields: []techx.FieldError{{Field: "format", Message: "must be csv or xlsx"}}}
}

// parseImport reads the table into one input per data row, reporting bad
// headers and cells by row (the header is row 1).
// Rows whose cells cannot be read are nil in the result and reported in
// the *ImportError beside it; a file that cannot be used at all is an error.
func parseImport[T any](rows [][]string, cols []column) ([]*T, *techx.ImportError, error) {
	var ie techx.ImportError
	if len(rows) == 0 {
		return nil, nil, &techx.Error{Code: techx.EINVALID, Message: "The file is empty; the first row must be the header.",
			Fields: []techx.FieldError{{Field: "file", Message: "is empty"}}}
	}
	var byIndex []column
	seen := map[string]bool{}
	for _, cell := range rows[0] {
		col, ok := matchHeader(cols, cell)
		if !ok && strings.TrimSpace(cell) != "" {
			ie.Rows = append(ie.Rows, techx.RowError{Row: 1, Field: clip(strings.TrimSpace(cell), 64), Message: "unknown column"})
		}
		if ok && seen[col.Code] {
			ie.Rows = append(ie.Rows, techx.RowError{Row: 1, Field: col.Code, Message: "column given twice"})
		}
		seen[col.Code] = true
		byIndex = append(byIndex, col)
	}
	data := rows[1:]
	// Trailing empty rows (spreadsheets keep them) are not data.
	for len(data) > 0 && strings.TrimSpace(strings.Join(data[len(data)-1], "")) == "" {
		data = data[:len(data)-1]
	}
	if len(data) == 0 {
		ie.Rows = append(ie.Rows, techx.RowError{Row: 2, Field: "", Message: "no data rows"})
	}
	if len(data) > MaxImportRows {
		return nil, nil, &techx.Error{Code: techx.EINVALID, Message: fmt.Sprintf("At most %d rows per import (got %d).", MaxImportRows, len(data)),
			Fields: []techx.FieldError{{Field: "file", Message: fmt.Sprintf("at most %d rows", MaxImportRows)}}}
	}
	out := make([]*T, len(data))
	for i, row := range data {
		in := new(T)
		ok := true
		for j, cell := range row {
			if j >= len(byIndex) || byIndex[j].Code == "" || strings.TrimSpace(cell) == "" {
				continue
			}
			col := byIndex[j]
			v, err := cellJSON(col, cell)
			if err == nil {
				obj, _ := json.Marshal(map[string]json.RawMessage{col.Code: v})
				err = json.Unmarshal(obj, in)
			}
			if err != nil {
				ok = false
				ie.Rows = append(ie.Rows, techx.RowError{Row: i + 2, Field: col.Code, Message: cellError(err)})
			}
		}
		if ok {
			out[i] = in
		}
	}
	if len(ie.Rows) > 0 {
		return out, &ie, nil
	}
	return out, nil, nil
}

// clip shortens s to at most n runes, so that an error never echoes a huge
// cell back (an 11 MB header cell made an 11 MB problem; scripts/abuse.sh).
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// cellError says what is wrong with a cell.
func cellError(err error) string {
	var te *techx.Error
	if errors.As(err, &te) {
		return te.Message
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return "has the wrong type"
	}
	return err.Error()
}

func (h *catalogHandlers) needImport() gin.HandlerFunc {
	return func(c *gin.Context) {
		rows, err := readTable(c)
		if err != nil {
			writeError(c, err)
			return
		}
		ins, prior, err := parseImport[techx.NeedInput](rows, needColumns)
		if err == nil {
			var needs []*techx.Need
			needs, err = h.svc.ImportNeeds(c.Request.Context(), ins, prior)
			if err == nil {
				writeJSON(c, http.StatusCreated, gin.H{"imported": len(needs), "ids": needIDs(needs)})
				return
			}
		}
		if !writeImportError(c, err) {
			writeError(c, err)
		}
	}
}

func (h *catalogHandlers) resultImport() gin.HandlerFunc {
	return func(c *gin.Context) {
		rows, err := readTable(c)
		if err != nil {
			writeError(c, err)
			return
		}
		ins, prior, err := parseImport[techx.ResultInput](rows, resultColumns)
		if err == nil {
			var results []*techx.Result
			results, err = h.svc.ImportResults(c.Request.Context(), ins, prior)
			if err == nil {
				ids := make([]string, len(results))
				for i, r := range results {
					ids[i] = r.ID
				}
				writeJSON(c, http.StatusCreated, gin.H{"imported": len(results), "ids": ids})
				return
			}
		}
		if !writeImportError(c, err) {
			writeError(c, err)
		}
	}
}

func needIDs(ns []*techx.Need) []string {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	return ids
}

// handleImportTemplate returns an empty template with Chinese and code headers.
func handleImportTemplate(kind string, cols []column) gin.HandlerFunc {
	return func(c *gin.Context) {
		headers := make([]string, len(cols))
		for i, col := range cols {
			headers[i] = col.header()
		}
		switch c.DefaultQuery("format", "csv") {
		case "csv":
			var b bytes.Buffer
			b.WriteString("\ufeff") // so spreadsheet programs read UTF-8
			w := csv.NewWriter(&b)
			w.Write(headers)
			w.Flush()
			c.Header("Content-Disposition", `attachment; filename="`+kind+`-template.csv"`)
			c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
		case "xlsx":
			f := excelize.NewFile()
			defer f.Close()
			for i, h := range headers {
				cell, _ := excelize.CoordinatesToCellName(i+1, 1)
				f.SetCellValue("Sheet1", cell, h)
			}
			var b bytes.Buffer
			if err := f.Write(&b); err != nil {
				writeError(c, err)
				return
			}
			c.Header("Content-Disposition", `attachment; filename="`+kind+`-template.xlsx"`)
			c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b.Bytes())
		default:
			writeError(c, &techx.Error{Code: techx.EINVALID, Message: "Unknown template format.",
				Fields: []techx.FieldError{{Field: "format", Message: "must be csv or xlsx"}}})
		}
	}
}
