package search

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"
)

// loadRank rebuilds the rank index from bleve's stored fields (on open):
// the same rankDoc as indexing built (TestRankIndexReopenEqual).
func (ix *Index) loadRank() (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("search: load rank index: %w", err)
		}
	}()
	adv, err := ix.idx.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	it, err := r.DocIDReaderAll()
	if err != nil {
		return err
	}
	defer it.Close()
	// every listing's internal id, then their stored fields read and
	// analysed by one worker per core (reading and analysing is most of
	// the work; adding to the rank index is serial)
	var iids []index.IndexInternalID
	for {
		iid, err := it.Next()
		if err != nil {
			return err
		}
		if iid == nil {
			break
		}
		iids = append(iids, append(index.IndexInternalID(nil), iid...))
	}
	rx := newRankIndex()
	const chunk = 512
	type part struct {
		rds []rankDoc
		err error
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan int)
	results := make([]chan part, (len(iids)+chunk-1)/chunk)
	for i := range results {
		results[i] = make(chan part, 1)
	}
	for w := 0; w < workers; w++ {
		go func() {
			for c := range jobs {
				var p part
				for _, iid := range iids[c*chunk : min(len(iids), (c+1)*chunk)] {
					ext, err := r.ExternalID(iid)
					if err != nil {
						p.err = err
						break
					}
					doc, err := r.Document(ext)
					if err != nil {
						p.err = err
						break
					}
					if doc == nil {
						continue
					}
					rd, err := rankFromStored(ext, doc)
					if err != nil {
						p.err = err
						break
					}
					p.rds = append(p.rds, rd)
				}
				results[c] <- p
			}
		}()
	}
	go func() {
		for c := range results {
			jobs <- c
		}
		close(jobs)
	}()
	for _, ch := range results {
		p := <-ch
		if p.err != nil && err == nil {
			err = p.err
		}
		if err == nil {
			rx.add(p.rds)
		}
	}
	if err != nil {
		return err
	}
	rx.trim()
	ix.rx = rx
	return nil
}

// storedField is one stored value with its array position.
type storedField struct {
	pos  uint64
	text string
	num  float64
	b    bool
	t    time.Time
}

// storedFields decodes a document's stored fields by name, each name's
// values in array order.
func storedFields(doc index.Document) (map[string][]storedField, error) {
	fs := map[string][]storedField{}
	var ferr error
	doc.VisitFields(func(f index.Field) {
		var sf storedField
		if ap := f.ArrayPositions(); len(ap) > 0 {
			sf.pos = ap[0]
		}
		switch x := f.(type) {
		case *document.TextField:
			sf.text = string(x.Value())
		case *document.NumericField:
			n, err := x.Number()
			if err != nil {
				ferr = err
			}
			sf.num = n
		case *document.BooleanField:
			b, err := x.Boolean()
			if err != nil {
				ferr = err
			}
			sf.b = b
		case *document.DateTimeField:
			t, _, err := x.DateTime()
			if err != nil {
				ferr = err
			}
			sf.t = t
		default:
			return
		}
		fs[f.Name()] = append(fs[f.Name()], sf)
	})
	for _, v := range fs {
		sort.SliceStable(v, func(i, j int) bool { return v[i].pos < v[j].pos })
	}
	return fs, ferr
}

// texts returns the text values of field name, in array order.
func texts(fs map[string][]storedField, name string) []string {
	out := make([]string, len(fs[name]))
	for i, x := range fs[name] {
		out[i] = x.text
	}
	return out
}

// rankFromStored rebuilds a listing's rankDoc from its stored fields.
func rankFromStored(id string, doc index.Document) (rankDoc, error) {
	fs, err := storedFields(doc)
	if err != nil {
		return rankDoc{}, fmt.Errorf("%s: %w", id, err)
	}
	one := func(name string) (storedField, bool) {
		v := fs[name]
		if len(v) == 0 {
			return storedField{}, false
		}
		return v[0], true
	}
	text := func(name string) string { v, _ := one(name); return v.text }
	list := func(name string) []string { return texts(fs, name) }
	kind, _ := splitDocID(id)
	rd := rankDoc{id: id, kind: kind, org: text(fOrg), industry: text(fIndustry), county: text(fCounty),
		region: text(fRegion), title: text(fTitle)}
	if v, ok := one(fConf); ok {
		rd.conf = v.b
	}
	if v, ok := one(fBottleneck); ok {
		rd.bottleneck = v.b
	}
	if v, ok := one(fTRL); ok {
		rd.trl = int(v.num)
	}
	if v, ok := one(fPrice); ok {
		p := int64(v.num)
		rd.price = &p
	}
	if v, ok := one(fBudget); ok {
		b := int64(v.num)
		rd.budget = &b
	}
	if v, ok := one(fPublished); ok && v.t.UnixNano() != 0 {
		rd.published = v.t
	}
	if v, ok := one(fValid); ok && !v.t.Equal(farFuture) {
		rd.valid = v.t
	}
	if kind == KindNeed {
		need := Doc{Kind: KindNeed, Title: rd.title, Text: text(fText), Keywords: list(fKw), Confidential: rd.conf}
		if rd.conf {
			need.Text, need.Keywords = text(fCText), list(fCKw)
		}
		rd.queryW = needQueryWeights(need)
	}
	if rd.conf {
		full := combinedText(kind, rd.title, list(fCKw), text(fCText))
		rd.analyse(rd.title, full, strings.Fields(text(fAllTok)), strings.Fields(text(fCAllTok)))
	} else {
		rd.kws = list(fKw)
		full := combinedText(kind, rd.title, rd.kws, text(fText))
		rd.analyse(full, "", strings.Fields(text(fAllTok)), nil)
	}
	return rd, nil
}
