// Package metrics holds TechX's Prometheus metrics. Everything is
// registered on a registry the caller passes in (no global state), so
// several servers in one process (tests) keep separate figures.
//
// Families (all prefixed techx_):
//
//	http_request_duration_seconds{route,method,status}  histogram
//	http_requests_in_flight                              gauge
//	db_pool_open_connections, db_pool_in_use,
//	db_pool_idle, db_pool_wait_total                     pool stats (collector)
//	outbox_head_seq, outbox_depth, index_applied_seq,
//	index_lag                                            outbox and index (collector)
//	index_batch_duration_seconds, index_batch_entries_total
//	login_throttled_total{scope}                         refused logins
//
// plus the Go runtime and process collectors (go_*, process_*).
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the instruments the program updates.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	batchDur   prometheus.Histogram
	batchN     prometheus.Counter
	throttled  *prometheus.CounterVec
	scrapeWait time.Duration
}

// New creates the instruments and registers them, with the Go runtime and
// process collectors, on reg.
func New(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "techx", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency by route template, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "techx", Subsystem: "http", Name: "requests_in_flight",
			Help: "Requests being served now.",
		}),
		batchDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "techx", Subsystem: "index", Name: "batch_duration_seconds",
			Help:    "Time to apply one batch of outbox entries to the search index.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		batchN: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "techx", Subsystem: "index", Name: "batch_entries_total",
			Help: "Outbox entries applied to the search index.",
		}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "techx", Subsystem: "login", Name: "throttled_total",
			Help: "Login attempts refused by the throttle (429).",
		}, []string{"scope"}),
		scrapeWait: time.Second,
	}
	reg.MustRegister(m.requests, m.inFlight, m.batchDur, m.batchN, m.throttled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.throttled.WithLabelValues("login") // present (at 0) before the first refusal
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4, Timeout: 10 * time.Second})
}

// Observe records one request; it fits httpapi.Deps.Observe.
func (m *Metrics) Observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

// InFlight adds delta to the in-flight gauge; it fits httpapi.Deps.InFlight.
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// IndexBatch records one applied index batch; it fits search.Indexer.OnBatch.
func (m *Metrics) IndexBatch(n int, d time.Duration) {
	m.batchDur.Observe(d.Seconds())
	m.batchN.Add(float64(n))
}

// LoginThrottled counts one refused login; it fits auth.Throttle.OnBlocked.
func (m *Metrics) LoginThrottled(scope string) { m.throttled.WithLabelValues(scope).Inc() }

// PoolStatsFunc reports the database connection pool (store.DB.PoolStats).
type PoolStatsFunc func() (open, inUse, idle int, waitCount int64)

// OutboxFunc reports the outbox's lowest and highest retained seq and the
// seq the local index has applied.
type OutboxFunc func(ctx context.Context) (lo, hi, applied int64, err error)

// RegisterPool adds a collector that reads the pool at every scrape.
func (m *Metrics) RegisterPool(f PoolStatsFunc) {
	m.reg.MustRegister(&poolCollector{f: f})
}

// RegisterOutbox adds a collector that reads the outbox bounds and the
// index position at every scrape, with a short timeout so that a slow
// database never hangs a scrape.
func (m *Metrics) RegisterOutbox(f OutboxFunc) {
	m.reg.MustRegister(&outboxCollector{f: f, timeout: m.scrapeWait})
}

var (
	poolOpen  = prometheus.NewDesc("techx_db_pool_open_connections", "Open database connections.", nil, nil)
	poolInUse = prometheus.NewDesc("techx_db_pool_in_use", "Database connections in use.", nil, nil)
	poolIdle  = prometheus.NewDesc("techx_db_pool_idle", "Idle database connections.", nil, nil)
	poolWait  = prometheus.NewDesc("techx_db_pool_wait_total", "Times a request waited for a free connection.", nil, nil)

	outboxHead  = prometheus.NewDesc("techx_outbox_head_seq", "Highest seq in the outbox log.", nil, nil)
	outboxDepth = prometheus.NewDesc("techx_outbox_depth", "Entries the outbox log retains (head - tail + 1).", nil, nil)
	indexSeq    = prometheus.NewDesc("techx_index_applied_seq", "Highest outbox seq this replica's index has applied.", nil, nil)
	indexLag    = prometheus.NewDesc("techx_index_lag", "Outbox entries this replica's index is behind.", nil, nil)
	outboxUp    = prometheus.NewDesc("techx_outbox_scrape_ok", "1 if the last read of the outbox bounds succeeded.", nil, nil)
)

type poolCollector struct{ f PoolStatsFunc }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolOpen
	ch <- poolInUse
	ch <- poolIdle
	ch <- poolWait
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	open, inUse, idle, wait := c.f()
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(open))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(inUse))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(idle))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, float64(wait))
}

type outboxCollector struct {
	f       OutboxFunc
	timeout time.Duration
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxHead
	ch <- outboxDepth
	ch <- indexSeq
	ch <- indexLag
	ch <- outboxUp
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	lo, hi, applied, err := c.f(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(outboxUp, prometheus.GaugeValue, 0)
		return
	}
	depth := hi - lo + 1
	if hi == 0 || lo == 0 {
		depth = 0
	}
	lag := hi - applied
	if lag < 0 {
		lag = 0
	}
	ch <- prometheus.MustNewConstMetric(outboxUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(outboxHead, prometheus.GaugeValue, float64(hi))
	ch <- prometheus.MustNewConstMetric(outboxDepth, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(indexSeq, prometheus.GaugeValue, float64(applied))
	ch <- prometheus.MustNewConstMetric(indexLag, prometheus.GaugeValue, float64(lag))
}
