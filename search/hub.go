package search

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"
)

// Hubness reduction for MatchNeed.
//
// Some results score moderately against every need: their text is written
// in the context every need of a trade shares (村镇供水站, 管水员, 运行费用…)
// rather than in terms of one problem. Such "hubs" crowd the top of many
// needs' matches. As in cross-domain nearest-neighbour retrieval (CSLS),
// MatchNeed takes off a result's text score a share of its hub score: the
// mean of its hubK best text scores against all needs — each need scored
// as MatchNeed would score it, by its public matching query (sourceSpec
// for an anonymous viewer: a confidential need by its title only).
//
// To keep this cheap at scale the needs are a fixed sample: those whose
// id hashes to 0 modulo hubMod, hubMod the smallest power of two that
// keeps the sample at most hubSample needs (every need below that). The
// sample depends on the set of needs only, so answers depend on the index's
// content, not on its history.
const (
	hubK      = 3
	hubSample = 256
)

// hubTerm is one character of a need's matching query and its weight.
type hubTerm struct {
	id uint32
	w  float32
}

// hubTerms is a need's matching query, encoded: for each character in
// term id order, the id's delta and the weight's index in hubWeights,
// varint-packed (a need holds ~100 characters: 800 bytes plain, ~200
// encoded).
type hubTerms []byte

// hubWeights are the weights a query character can have: the source
// weights of matchParams (context, text, keywords, title, wish). Any other
// weight is written as a float32 after the index 255.
var hubWeights = []float64{defaultMatchParams.wContext, defaultMatchParams.wText, defaultMatchParams.wKw,
	defaultMatchParams.wTitle, defaultMatchParams.wWish}

func encodeHubTerms(ts []hubTerm, weights []float64) hubTerms {
	var out []byte
	prev := uint32(0)
	for _, t := range ts {
		out = binary.AppendUvarint(out, uint64(t.id-prev))
		prev = t.id
		code := 255
		for i, w := range weights {
			if float32(w) == t.w {
				code = i
				break
			}
		}
		out = append(out, byte(code))
		if code == 255 {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(t.w))
		}
	}
	return slices.Clip(out)
}

// each calls f with every term, in id order.
func (h hubTerms) each(weights []float64, f func(t hubTerm)) {
	id := uint32(0)
	for i := 0; i < len(h); {
		d, n := binary.Uvarint(h[i:])
		i += n
		id += uint32(d)
		code := h[i]
		i++
		w := float32(0)
		if code == 255 {
			w = math.Float32frombits(binary.LittleEndian.Uint32(h[i:]))
			i += 4
		} else {
			w = float32(weights[code])
		}
		f(hubTerm{id: id, w: w})
	}
}

// hubPosting is a sampled need holding a character (its position in
// rankIndex.hubSlots), with the character's weight.
type hubPosting struct {
	pos uint32
	w   float32
}

// needQueryWeights are the character weights of need's public matching
// query (what MatchNeed scores results with for an anonymous viewer).
func needQueryWeights(need Doc) map[string]float64 {
	return charWeights(sourceSpec(need, Viewer{}, defaultMatchParams))
}

// charWeights weighs each character of spec by the heaviest part it
// occurs in.
func charWeights(spec textSpec) map[string]float64 {
	um := map[string]float64{}
	for _, part := range spec.parts {
		if strings.TrimSpace(part.text) == "" {
			continue
		}
		for _, t := range unigrams(part.text) {
			um[t] = math.Max(um[t], part.w)
		}
	}
	return um
}

func hubSampled(id string, mod uint32) bool {
	if mod <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()%mod == 0
}

// wantHubMod is the sample modulus for n needs.
func wantHubMod(n int) uint32 {
	mod := uint32(1)
	for n > int(mod)*hubSample {
		mod *= 2
	}
	return mod
}

// hubTerms resolves a need's query weights to term ids, encoded (write
// lock held).
func (rx *rankIndex) hubTerms(w map[string]float64) hubTerms {
	out := make([]hubTerm, 0, len(w))
	for t, x := range w {
		if id, ok := rx.dict[termKey(false, famChar, t)]; ok {
			out = append(out, hubTerm{id: id, w: float32(x)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return encodeHubTerms(out, hubWeights)
}

// hubAdd posts need slot s if it is in the sample (write lock held).
func (rx *rankIndex) hubAdd(s uint32) {
	m := &rx.meta[s]
	if len(m.qw) == 0 || !hubSampled(m.id, rx.hubMod) {
		return
	}
	if rx.hubPost == nil {
		rx.hubPost = map[uint32][]hubPosting{}
	}
	pos := uint32(len(rx.hubSlots))
	m.qw.each(hubWeights, func(t hubTerm) {
		rx.hubPost[t.id] = append(rx.hubPost[t.id], hubPosting{pos: pos, w: t.w})
	})
	rx.hubSlots = append(rx.hubSlots, s)
}

// hubRebuild rebuilds the sample's postings, with the modulus the number
// of needs calls for (write lock held).
func (rx *rankIndex) hubRebuild() {
	rx.hubMod = wantHubMod(rx.needs)
	rx.hubPost, rx.hubSlots = nil, nil
	for s := range rx.meta {
		if rx.flags[s]&flLive != 0 && rx.flags[s]&flResult == 0 {
			rx.hubAdd(uint32(s))
		}
	}
}

// hubScorer scores results against the sampled needs for one query (read
// lock held).
type hubScorer struct {
	rx     *rankIndex
	live   []bool // by position in hubSlots
	qnorm  []float64
	n      []int
	acc    []float64
	cnt    []int
	idf2   map[uint32]float64
	kA, kB float64
}

func (rx *rankIndex) hubScorer() *hubScorer {
	if len(rx.hubSlots) == 0 {
		return nil
	}
	return &hubScorer{rx: rx}
}

// prepare resolves the sampled needs' query norms, once per query and
// only when a hub score is not cached.
func (h *hubScorer) prepare() {
	if h.live != nil {
		return
	}
	rx := h.rx
	n := len(rx.hubSlots)
	h.idf2, h.live = map[uint32]float64{}, make([]bool, n)
	h.qnorm, h.n, h.acc, h.cnt = make([]float64, n), make([]int, n), make([]float64, n), make([]int, n)
	for i, s := range rx.hubSlots {
		if rx.flags[s]&flLive == 0 {
			continue
		}
		h.live[i] = true
		sum := 0.0
		rx.meta[s].qw.each(hubWeights, func(t hubTerm) {
			if rx.lists[t.id].df <= 0 {
				return
			}
			sum += float64(t.w) * float64(t.w) * h.idfSq(t.id)
			h.n[i]++
		})
		if sum > 0 {
			h.qnorm[i] = 1 / math.Sqrt(sum)
		}
	}
	avg := float64(rx.sumLen[famChar]) / float64(max(rx.live, 1))
	if avg <= 0 {
		avg = 1
	}
	h.kA, h.kB = bm25K1*(1-bm25B), bm25K1*bm25B/avg
}

func (h *hubScorer) idfSq(id uint32) float64 {
	if v, ok := h.idf2[id]; ok {
		return v
	}
	x := idf(uint64(h.rx.live), uint64(max(h.rx.lists[id].df, 0)))
	h.idf2[id] = x * x
	return x * x
}

// score is result slot s's hub score: the mean of its hubK best text
// scores against the sampled needs. Hub scores are cached until the index
// changes (they are a function of its content).
func (h *hubScorer) score(s uint32) float64 {
	rx := h.rx
	rx.hubMu.Lock()
	v, ok := rx.hubCache[s]
	rx.hubMu.Unlock()
	if ok {
		return v
	}
	v = h.compute(s)
	rx.hubMu.Lock()
	if rx.hubCache == nil {
		rx.hubCache = map[uint32]float64{}
	}
	rx.hubCache[s] = v
	rx.hubMu.Unlock()
	return v
}

func (h *hubScorer) compute(s uint32) float64 {
	h.prepare()
	rx := h.rx
	clear(h.acc)
	clear(h.cnt)
	k := h.kA + h.kB*float64(rx.lens[famChar][s])
	rx.meta[s].terms.each(func(id uint32) {
		ps := rx.hubPost[id]
		if len(ps) == 0 {
			return
		}
		tf := tfRoot(rx.lists[id].tf(s))
		c := h.idfSq(id) * bm25K1 * tf / (tf + k)
		for _, p := range ps {
			h.acc[p.pos] += float64(p.w) * c
			h.cnt[p.pos]++
		}
	})
	var best [hubK]float64 // descending
	for i, a := range h.acc {
		if h.cnt[i] == 0 || !h.live[i] || h.n[i] == 0 {
			continue
		}
		v := a * h.qnorm[i] * float64(h.cnt[i]) / float64(h.n[i])
		for j := 0; j < hubK; j++ {
			if v > best[j] {
				copy(best[j+1:], best[j:hubK-1])
				best[j] = v
				break
			}
		}
	}
	sum := 0.0
	for _, v := range best {
		sum += v
	}
	return sum / hubK
}
