// Package app wires TechX together: configuration, database, services,
// search index and HTTP handler. cmd/techx and the end-to-end tests both
// build the program through it.
package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/techx-cz/techx/api"
	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/config"
	"github.com/techx-cz/techx/internal/httpapi"
	"github.com/techx-cz/techx/internal/metrics"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
	"github.com/techx-cz/techx/seeds"
)

// Options adjust the wiring; the zero value is production.
type Options struct {
	// Argon2 overrides the password-hashing cost (tests use a cheap one).
	Argon2 *auth.Argon2Params
	// Throttle overrides the login throttle.
	Throttle *auth.Throttle
	// NoMigrate leaves the schema to `techx migrate` (a Kubernetes Job, the
	// compose migrate service): Open waits until the schema is current
	// instead of migrating (techx serve --no-migrate, TECHX_MIGRATE=false).
	NoMigrate bool
	// SchemaWait bounds that wait (default 5 minutes).
	SchemaWait time.Duration
}

// App is the wired program.
type App struct {
	Config   *config.Config
	Log      *slog.Logger
	DB       *store.DB
	Taxonomy *techx.Taxonomy
	Users    *store.UserService
	Catalog  *store.CatalogService
	Listings *store.ListingStore
	Auth     *auth.Service
	// Index is this process's search index; Indexer keeps it in step with
	// the database by following the outbox.
	Index   *search.Index
	Indexer *search.Indexer

	starting atomic.Value // string: why the process is not ready yet

	// Contracts and Targets serve issue 6 (contracts, statistics, targets).
	Contracts *store.ContractService
	Targets   *store.TargetService

	// Deals, Challenges and Notifications serve issue 5 (brokering).
	Deals         *store.DealService
	Challenges    *store.ChallengeService
	Notifications *store.NotificationService

	// Metrics are this process's Prometheus instruments, on their own
	// registry (served at /metrics).
	Metrics *metrics.Metrics
}

// Open opens and migrates the database named by cfg and wires the services.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, opt Options) (*App, error) {
	tx, err := techx.ParseTaxonomy(seeds.Taxonomy())
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if opt.NoMigrate {
		if err := waitForSchema(ctx, db, log, opt.SchemaWait); err != nil {
			db.Close()
			return nil, err
		}
	} else {
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		if len(applied) > 0 {
			log.Info("applied migrations", "versions", applied, "dialect", db.Dialect())
		}
	}
	tokens, err := auth.NewTokens(cfg.JWTSecret, auth.MaxAccessTTL, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	params := auth.OWASPParams
	if opt.Argon2 != nil {
		params = *opt.Argon2
	}
	th := opt.Throttle
	if th == nil {
		th = auth.DefaultThrottle()
		th.Shared, th.Log = store.NewLoginFailures(db), log
	}
	users := store.NewUserService(db)
	a := &App{Config: cfg, Log: log, DB: db, Taxonomy: tx, Users: users, Catalog: store.NewCatalogService(db, tx),
		Contracts: store.NewContractService(db, tx), Targets: store.NewTargetService(db, tx),
		Listings: store.NewListingStore(db)}
	a.Auth = auth.NewService(users, tx, auth.NewHasher(params), tokens, th, log)
	th2, err := search.LoadThesaurus(bytes.NewReader(seeds.Thesaurus()))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("thesaurus: %w", err)
	}
	a.Index, err = search.Open(filepath.Join(cfg.DataDir, "index"), th2)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open search index: %w", err)
	}
	a.Metrics = metrics.New(prometheus.NewRegistry())
	th.OnBlocked = a.Metrics.LoginThrottled
	a.Metrics.RegisterPool(db.PoolStats)
	a.Metrics.RegisterOutbox(a.outboxPosition)
	a.Indexer = &search.Indexer{Src: searchSource{ls: a.Listings}, Index: a.Index, Log: log, OnBatch: a.Metrics.IndexBatch}
	a.Deals, a.Challenges = store.NewDealService(db, tx), store.NewChallengeService(db, tx)
	a.Notifications = store.NewNotificationService(db, tx)
	a.Indexer.OnApplied = a.notifySavedSearches
	if err := a.Indexer.Prepare(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("prepare search index: %w", err)
	}
	return a, nil
}

// SetStarting marks the process not ready while msg is not empty (start-up
// work such as loading demo data).
func (a *App) SetStarting(msg string) { a.starting.Store(msg) }

// Start runs the background work (the outbox follower, outbox pruning)
// until ctx ends.
func (a *App) Start(ctx context.Context) {
	go a.Indexer.Run(ctx)
	go a.pruneOutbox(ctx)
}

// OutboxRetention is how long applied outbox rows are kept for other
// replicas' followers.
const OutboxRetention = 7 * 24 * time.Hour

func (a *App) pruneOutbox(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := store.NewLoginFailures(a.DB).Prune(ctx, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			a.Log.Warn("prune login failures", "err", err)
		}
		if n, err := a.Listings.PruneOutbox(ctx, time.Now().Add(-OutboxRetention)); err != nil && ctx.Err() == nil {
			a.Log.Warn("prune outbox", "err", err)
		} else if n > 0 {
			a.Log.Info("pruned outbox", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the index and the database.
func (a *App) Close() error {
	if a.Index != nil {
		a.Index.Close()
	}
	return a.DB.Close()
}

// Handler returns the HTTP API.
func (a *App) Handler() http.Handler {
	return httpapi.NewServer(httpapi.Deps{
		Log: a.Log, Auth: a.Auth, Users: a.Users, Catalog: a.Catalog, Taxonomy: a.Taxonomy,
		Contracts: a.Contracts, Targets: a.Targets,
		Deals: a.Deals, Brokering: a.Deals, Challenges: a.Challenges, Notifications: a.Notifications,
		OpenAPI: api.Spec, Ready: a.Ready, Index: a.Index, Listings: a.Listings,
		Observe: a.Metrics.Observe, InFlight: a.Metrics.InFlight, Metrics: a.Metrics.Handler(),
		TrustedProxies: a.Config.TrustedProxies,
	})
}

// outboxPosition reads the outbox bounds and this replica's index
// position for the metrics collector.
func (a *App) outboxPosition(ctx context.Context) (lo, hi, applied int64, err error) {
	applied, err = a.Index.Applied()
	if err != nil {
		return 0, 0, 0, err
	}
	lo, hi, err = a.Listings.OutboxBounds(ctx)
	return lo, hi, applied, err
}

// waitForSchema waits until another process (the migration Job) has
// brought the schema to this binary's version.
func waitForSchema(ctx context.Context, db *store.DB, log *slog.Logger, limit time.Duration) error {
	if limit <= 0 {
		limit = 5 * time.Minute
	}
	deadline := time.Now().Add(limit)
	next := time.Now()
	for {
		v, err := db.SchemaVersion(ctx)
		if err == nil && v == store.LatestVersion() {
			return nil
		}
		if err == nil && v > store.LatestVersion() {
			return fmt.Errorf("the schema is at version %d, newer than this binary's %d", v, store.LatestVersion())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no-migrate: the schema is at version %d after %s; run `techx migrate` (want %d): %v",
				v, limit, store.LatestVersion(), err)
		}
		if time.Now().After(next) {
			log.Info("waiting for migrations (serve --no-migrate)", "schema_version", v, "want", store.LatestVersion())
			next = time.Now().Add(10 * time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Ready reports whether the database answers and the schema is current.
func (a *App) Ready(ctx context.Context) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	d := map[string]any{"database": a.DB.Dialect()}
	if msg, _ := a.starting.Load().(string); msg != "" {
		return d, techx.Errorf(techx.EUNAVAILABLE, "Starting: %s.", msg)
	}
	if err := a.DB.Ping(ctx); err != nil {
		d["database_ok"] = false
		return d, techx.Errorf(techx.EUNAVAILABLE, "The database does not answer.")
	}
	d["database_ok"] = true
	v, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return d, err
	}
	d["schema_version"], d["schema_expected"] = v, store.LatestVersion()
	// A schema ahead of this binary is fine (migrations are forward-only and
	// additive, so a rolling deploy's old pods keep serving while the
	// migration Job runs); one behind it is not.
	if v < store.LatestVersion() {
		return d, techx.Errorf(techx.EUNAVAILABLE, "The schema is at version %d; this binary needs %d (run techx migrate).", v, store.LatestVersion())
	}
	lag, err := a.Indexer.Lag(ctx)
	if err != nil {
		return d, err
	}
	d["index_lag"] = lag
	return d, nil
}
