package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // verification reads PostgreSQL directly
)

var searchTerms = []string{"焊接", "激光", "电池", "催化剂", "模具", "隔膜", "农业", "传感器", "节能", "机器人",
	"铸造", "涂层", "污水处理", "新材料", "数控", "管道", "生物医药", "物联网", "盾构机", "锂电隔膜"}

// write is one acknowledged write, to be found again afterwards.
type write struct {
	Kind      string `json:"kind"` // need, result, contract, deal
	ID        string `json:"id"`
	Token     string `json:"token"`
	Published bool   `json:"published"`
	Owner     string `json:"-"`
}

type routeStats struct {
	mu       sync.Mutex
	lat      []time.Duration
	statuses map[int]int
}

type secondStats struct {
	ok, c4xx, c503, c5xx, noAnswer atomic.Int64
	maxMs                          atomic.Int64
}

type mixState struct {
	c                 *client
	ent, inst, broker *actor
	needs, results    []string // published ids to read and match
	mu                sync.Mutex
	writes            []write
	routes            sync.Map // name → *routeStats
	seconds           []secondStats
	start             time.Time
	dealsOn           bool
	contractDupes     atomic.Int64
	contractRetries   atomic.Int64
	// notProblem counts 4xx/5xx answers that are not problem+json with a
	// code (an error page, a stack trace, a proxy's HTML).
	notProblem atomic.Int64
}

func (s *mixState) record(name string, r result) {
	v, _ := s.routes.LoadOrStore(name, &routeStats{statuses: map[int]int{}})
	rs := v.(*routeStats)
	rs.mu.Lock()
	rs.lat = append(rs.lat, r.dur)
	rs.statuses[r.status]++
	rs.mu.Unlock()
	if r.status >= 400 && (!strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") || r.json()["code"] == nil) {
		s.notProblem.Add(1)
	}
	sec := int(time.Since(s.start) / time.Second)
	if sec >= 0 && sec < len(s.seconds) {
		ss := &s.seconds[sec]
		switch {
		case r.status == 0:
			ss.noAnswer.Add(1)
		case r.status == 503:
			ss.c503.Add(1)
		case r.status >= 500:
			ss.c5xx.Add(1)
		case r.status >= 400:
			ss.c4xx.Add(1)
		default:
			ss.ok.Add(1)
		}
		ms := r.dur.Milliseconds()
		for {
			old := ss.maxMs.Load()
			if ms <= old || ss.maxMs.CompareAndSwap(old, ms) {
				break
			}
		}
	}
}

func (s *mixState) addWrite(w write) {
	s.mu.Lock()
	s.writes = append(s.writes, w)
	if w.Published {
		switch w.Kind {
		case "need":
			s.needs = append(s.needs, w.ID)
		case "result":
			s.results = append(s.results, w.ID)
		}
	}
	s.mu.Unlock()
}

func (s *mixState) pick(ids *[]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return (*ids)[rand.IntN(len(*ids))]
}

func runMix(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("mix", flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "TechX base URL")
	rate := fs.Int("rate", 40, "requests per second (fixed, open loop)")
	dur := fs.Duration("duration", 60*time.Second, "how long to send")
	dbURL := fs.String("db", "", "PostgreSQL URL of the server's database, to verify writes there")
	out := fs.String("out", "", "write the JSON report here")
	timeout := fs.Duration("timeout", 10*time.Second, "per-request timeout (a longer answer counts as none)")
	maxInFlight := fs.Int("max-inflight", 512, "requests in flight at most; beyond, a tick is dropped and counted")
	allow := fs.String("allow", "", "comma-separated outcomes tolerated without failing: 503, noanswer")
	timeline := fs.Bool("timeline", false, "print outcomes per second")
	verify := fs.Bool("verify", true, "after the run, check every acknowledged write in the database and the index")
	fs.Parse(args)
	if *rate <= 0 || *rate > 5000 || *dur <= 0 || *dur > 30*time.Minute {
		return fmt.Errorf("rate must be 1..5000 and duration up to 30m")
	}
	s := &mixState{c: newClient(*base, *timeout)}
	if err := s.setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	total := int(float64(*rate) * dur.Seconds())
	s.seconds = make([]secondStats, int(dur.Seconds())+int(timeout.Seconds())+2)
	fmt.Printf("mix: %d req/s for %s (%d requests) against %s; deals %v\n", *rate, *dur, total, *base, s.dealsOn)
	var inFlight atomic.Int64
	var dropped atomic.Int64
	var wg sync.WaitGroup
	s.start = time.Now()
	interval := time.Second / time.Duration(*rate)
	for i := 0; i < total; i++ {
		at := s.start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-ctx.Done():
				total = i
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		if inFlight.Load() >= int64(*maxInFlight) {
			dropped.Add(1)
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			s.one(ctx)
		}()
	}
	wg.Wait()
	elapsed := time.Since(s.start)
	rep := s.report(elapsed, dropped.Load())
	if *timeline {
		s.printTimeline()
	}
	fails := rep.check(*allow)
	if n := s.notProblem.Load(); n > 0 {
		fails = append(fails, fmt.Sprintf("%d error answers were not problem+json with a code", n))
	}
	if *verify {
		v, err := s.verify(ctx, *dbURL)
		rep.Verify = v
		if err != nil {
			fails = append(fails, "verify: "+err.Error())
		}
	}
	rep.Failures = fails
	if *out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		os.WriteFile(*out, b, 0o644)
	}
	if len(fails) > 0 {
		for _, f := range fails {
			fmt.Println("FAIL:", f)
		}
		return fmt.Errorf("%d check(s) failed", len(fails))
	}
	fmt.Println("mix: ok")
	return nil
}

func (s *mixState) setup(ctx context.Context) error {
	var err error
	if s.ent, err = s.c.register(ctx, "enterprise"); err != nil {
		return err
	}
	if s.inst, err = s.c.register(ctx, "institution"); err != nil {
		return err
	}
	if s.broker, err = s.c.register(ctx, "broker"); err != nil {
		return err
	}
	for i := 0; i < 10; i++ {
		if w, ok := s.createListing(ctx, "need"); ok {
			s.addWrite(w)
		}
		if w, ok := s.createListing(ctx, "result"); ok {
			s.addWrite(w)
		}
	}
	if len(s.needs) == 0 || len(s.results) == 0 {
		return fmt.Errorf("could not create seed listings")
	}
	// Other published listings (techx gen) widen the reads.
	for _, kind := range []string{"needs", "results"} {
		r := s.c.do(ctx, "GET", "/api/v1/"+kind+"?page_size=100", "", nil, nil)
		var l struct {
			Items []struct{ ID string } `json:"items"`
		}
		json.Unmarshal(r.body, &l)
		for _, it := range l.Items {
			if kind == "needs" {
				s.needs = append(s.needs, it.ID)
			} else {
				s.results = append(s.results, it.ID)
			}
		}
	}
	r := s.c.do(ctx, "POST", "/api/v1/deals", s.broker.token, map[string]any{"need_id": s.needs[0], "result_id": s.results[0]}, nil)
	s.dealsOn = r.status == 201
	if !s.dealsOn {
		fmt.Printf("mix: deals off (POST /api/v1/deals as broker: %v)\n", r)
	}
	return nil
}

// createListing creates and publishes a need (as the enterprise) or a
// result (as the institution); it is acknowledged when creation got 201.
func (s *mixState) createListing(ctx context.Context, kind string) (write, bool) {
	tok := word()
	owner, body, plural := s.ent.token, needBody(tok), "needs"
	if kind == "result" {
		owner, body, plural = s.inst.token, resultBody(tok), "results"
	}
	r := s.c.do(ctx, "POST", "/api/v1/"+plural, owner, body, nil)
	s.record("POST /api/v1/"+plural, r)
	if r.status != 201 {
		return write{}, false
	}
	w := write{Kind: kind, ID: r.json()["id"].(string), Token: tok, Owner: owner}
	p := s.c.do(ctx, "POST", "/api/v1/"+plural+"/"+w.ID+"/publish", owner, nil, nil)
	s.record("POST /api/v1/"+plural+"/:id/publish", p)
	w.Published = p.status == 200
	return w, true
}

// createContract records a contract under an Idempotency-Key, retrying the
// same key after a lost answer, and always once more after success: the
// replay must return the same contract.
func (s *mixState) createContract(ctx context.Context) {
	tok := word()
	key := "load-" + tok
	body := contractBody(tok)
	var first result
	for try := 0; try < 20; try++ {
		first = s.c.do(ctx, "POST", "/api/v1/contracts", s.broker.token, body, map[string]string{"Idempotency-Key": key})
		s.record("POST /api/v1/contracts", first)
		if first.status != 0 && first.status != 503 {
			break
		}
		s.contractRetries.Add(1)
		time.Sleep(time.Duration(try+1) * 500 * time.Millisecond)
	}
	if first.status != 201 {
		return
	}
	id, _ := first.json()["id"].(string)
	s.addWrite(write{Kind: "contract", ID: id, Token: tok})
	again := s.c.do(ctx, "POST", "/api/v1/contracts", s.broker.token, body, map[string]string{"Idempotency-Key": key})
	s.record("POST /api/v1/contracts (replay)", again)
	if again.status == 201 {
		if id2, _ := again.json()["id"].(string); id2 != id {
			s.contractDupes.Add(1)
		}
	}
}

func (s *mixState) one(ctx context.Context) {
	n := rand.IntN(100)
	switch {
	case n < 35: // search
		q := searchTerms[rand.IntN(len(searchTerms))]
		path := "/api/v1/search?q=" + url.QueryEscape(q)
		if rand.IntN(4) == 0 {
			path += "&kind=result"
		}
		s.record("GET /api/v1/search", s.c.do(ctx, "GET", path, "", nil, nil))
	case n < 70: // match
		if rand.IntN(2) == 0 {
			s.record("GET /api/v1/needs/:id/matches", s.c.do(ctx, "GET", "/api/v1/needs/"+s.pick(&s.needs)+"/matches", s.broker.token, nil, nil))
		} else {
			s.record("GET /api/v1/results/:id/matches", s.c.do(ctx, "GET", "/api/v1/results/"+s.pick(&s.results)+"/matches", "", nil, nil))
		}
	case n < 78:
		s.record("GET /api/v1/needs/:id", s.c.do(ctx, "GET", "/api/v1/needs/"+s.pick(&s.needs), "", nil, nil))
	case n < 85:
		s.record("GET /api/v1/results/:id", s.c.do(ctx, "GET", "/api/v1/results/"+s.pick(&s.results), "", nil, nil))
	case n < 90:
		s.record("GET /api/v1/needs", s.c.do(ctx, "GET", "/api/v1/needs?page_size=20", "", nil, nil))
	case n < 94:
		if w, ok := s.createListing(ctx, "need"); ok {
			s.addWrite(w)
		}
	case n < 97:
		if w, ok := s.createListing(ctx, "result"); ok {
			s.addWrite(w)
		}
	case n < 99 || !s.dealsOn:
		s.createContract(ctx)
	default:
		r := s.c.do(ctx, "POST", "/api/v1/deals", s.broker.token,
			map[string]any{"need_id": s.pick(&s.needs), "result_id": s.pick(&s.results), "note": "负载测试"}, nil)
		s.record("POST /api/v1/deals", r)
		if r.status == 201 {
			id, _ := r.json()["id"].(string)
			s.addWrite(write{Kind: "deal", ID: id})
		}
	}
}

// Report is the JSON report of a mix run.
type Report struct {
	Seconds   float64                `json:"seconds"`
	Requests  int                    `json:"requests"`
	Dropped   int64                  `json:"dropped"`
	Routes    map[string]RouteReport `json:"routes"`
	Statuses  map[string]int         `json:"statuses"`
	Verify    *VerifyReport          `json:"verify,omitempty"`
	Failures  []string               `json:"failures,omitempty"`
	Retries   int64                  `json:"contract_retries"`
	Replays   int64                  `json:"contract_replays_with_other_id"`
	WriteAcks int                    `json:"acknowledged_writes"`
}

// RouteReport is one route's figures.
type RouteReport struct {
	N        int            `json:"n"`
	P50ms    float64        `json:"p50_ms"`
	P99ms    float64        `json:"p99_ms"`
	Maxms    float64        `json:"max_ms"`
	Statuses map[string]int `json:"statuses"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (s *mixState) report(elapsed time.Duration, dropped int64) *Report {
	rep := &Report{Seconds: elapsed.Seconds(), Dropped: dropped, Routes: map[string]RouteReport{}, Statuses: map[string]int{},
		Retries: s.contractRetries.Load(), Replays: s.contractDupes.Load(), WriteAcks: len(s.writes)}
	var names []string
	s.routes.Range(func(k, v any) bool {
		name := k.(string)
		rs := v.(*routeStats)
		rs.mu.Lock()
		defer rs.mu.Unlock()
		sort.Slice(rs.lat, func(i, j int) bool { return rs.lat[i] < rs.lat[j] })
		rr := RouteReport{N: len(rs.lat), Statuses: map[string]int{}}
		if len(rs.lat) > 0 {
			rr.P50ms = ms(rs.lat[len(rs.lat)*50/100])
			rr.P99ms = ms(rs.lat[min(len(rs.lat)-1, len(rs.lat)*99/100)])
			rr.Maxms = ms(rs.lat[len(rs.lat)-1])
		}
		for st, n := range rs.statuses {
			k := fmt.Sprint(st)
			if st == 0 {
				k = "noanswer"
			}
			rr.Statuses[k] += n
			rep.Statuses[k] += n
			rep.Requests += n
		}
		rep.Routes[name] = rr
		names = append(names, name)
		return true
	})
	sort.Strings(names)
	fmt.Printf("%-42s %7s %9s %9s %9s  %s\n", "route", "n", "p50 ms", "p99 ms", "max ms", "statuses")
	for _, n := range names {
		r := rep.Routes[n]
		fmt.Printf("%-42s %7d %9.1f %9.1f %9.1f  %v\n", n, r.N, r.P50ms, r.P99ms, r.Maxms, r.Statuses)
	}
	fmt.Printf("total: %d requests in %.1fs (%.1f/s), dropped ticks %d, statuses %v, acknowledged writes %d, contract retries after no answer or 503 %d\n",
		rep.Requests, rep.Seconds, float64(rep.Requests)/rep.Seconds, dropped, rep.Statuses, len(s.writes), rep.Retries)
	return rep
}

func (s *mixState) printTimeline() {
	fmt.Println("second    2xx  4xx  503  5xx  none  max_ms")
	for i := range s.seconds {
		ss := &s.seconds[i]
		if ss.ok.Load()+ss.c4xx.Load()+ss.c503.Load()+ss.c5xx.Load()+ss.noAnswer.Load() == 0 {
			continue
		}
		fmt.Printf("%6d %6d %4d %4d %4d %5d %7d\n", i, ss.ok.Load(), ss.c4xx.Load(), ss.c503.Load(), ss.c5xx.Load(), ss.noAnswer.Load(), ss.maxMs.Load())
	}
}

// check lists what the run's statuses break: any 5xx (a 503 only when not
// allowed), answers that never came (unless allowed), replays that
// recorded a second contract.
func (r *Report) check(allow string) []string {
	allowed := map[string]bool{}
	for _, a := range strings.Split(allow, ",") {
		allowed[strings.TrimSpace(a)] = true
	}
	var fails []string
	for st, n := range r.Statuses {
		if st == "noanswer" && !allowed["noanswer"] {
			fails = append(fails, fmt.Sprintf("%d requests got no answer within the timeout", n))
		}
		if strings.HasPrefix(st, "5") && !(st == "503" && allowed["503"]) {
			fails = append(fails, fmt.Sprintf("%d answers with status %s", n, st))
		}
	}
	if r.Replays > 0 {
		fails = append(fails, fmt.Sprintf("%d contract replays returned another contract", r.Replays))
	}
	return fails
}

// VerifyReport says where the acknowledged writes were found.
type VerifyReport struct {
	Writes            map[string]int `json:"writes"`
	MissingInDB       int            `json:"missing_in_db"`
	PublishedChecked  int            `json:"published_checked_in_index"`
	MissingInIndex    int            `json:"missing_in_index"`
	ContractsTwice    int            `json:"contracts_recorded_twice"`
	IndexCaughtUpSecs float64        `json:"index_caught_up_s"`
	DBChecked         bool           `json:"checked_in_database"`
}

// verify waits for the server to be ready and its index to catch up, then
// looks every acknowledged write up in PostgreSQL (or through the API when
// no database URL is given) and every published listing in the index.
func (s *mixState) verify(ctx context.Context, dbURL string) (*VerifyReport, error) {
	v := &VerifyReport{Writes: map[string]int{}}
	start := time.Now()
	deadline := start.Add(90 * time.Second)
	for {
		r := s.c.do(ctx, "GET", "/readyz", "", nil, nil)
		if lag, ok := r.json()["index_lag"].(float64); r.status == 200 && ok && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			return v, fmt.Errorf("server not ready with index lag 0 within 90s: %v", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	v.IndexCaughtUpSecs = time.Since(start).Seconds()
	var db *sql.DB
	if dbURL != "" {
		var err error
		if db, err = sql.Open("pgx", dbURL); err != nil {
			return v, err
		}
		defer db.Close()
		v.DBChecked = true
	}
	var problems []string
	for _, w := range s.writes {
		v.Writes[w.Kind]++
		table := map[string]string{"need": "needs", "result": "results", "contract": "contracts", "deal": "deals"}[w.Kind]
		if db != nil {
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE id = $1", w.ID).Scan(&n); err != nil {
				return v, fmt.Errorf("query %s: %w", table, err)
			}
			if n != 1 {
				v.MissingInDB++
				problems = append(problems, fmt.Sprintf("%s %s: %d rows", w.Kind, w.ID, n))
			}
			if w.Kind == "contract" {
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM contracts WHERE title = $1", "负载测试合同 "+w.Token).Scan(&n); err != nil {
					return v, err
				}
				if n != 1 {
					v.ContractsTwice++
					problems = append(problems, fmt.Sprintf("contract %s recorded %d times", w.Token, n))
				}
			}
		} else if w.Kind == "need" || w.Kind == "result" {
			if r := s.c.do(ctx, "GET", "/api/v1/"+w.Kind+"s/"+w.ID, w.Owner, nil, nil); r.status != 200 {
				v.MissingInDB++
				problems = append(problems, fmt.Sprintf("%s %s: %v", w.Kind, w.ID, r))
			}
		}
		if w.Published && (w.Kind == "need" || w.Kind == "result") {
			v.PublishedChecked++
			found := false
			for try := 0; try < 3 && !found; try++ {
				r := s.c.do(ctx, "GET", "/api/v1/search?q="+w.Token+"&kind="+w.Kind, w.Owner, nil, nil)
				found = r.status == 200 && strings.Contains(string(r.body), w.ID)
				if !found {
					time.Sleep(300 * time.Millisecond)
				}
			}
			if !found {
				v.MissingInIndex++
				problems = append(problems, fmt.Sprintf("%s %s (%s) not found by search", w.Kind, w.ID, w.Token))
			}
		}
	}
	fmt.Printf("verify: %v acknowledged; in database: %d missing (checked in PostgreSQL: %v); index: %d published checked, %d missing; contracts recorded twice: %d; index caught up in %.1fs\n",
		v.Writes, v.MissingInDB, v.DBChecked, v.PublishedChecked, v.MissingInIndex, v.ContractsTwice, v.IndexCaughtUpSecs)
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = problems[:10]
		}
		return v, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return v, nil
}
