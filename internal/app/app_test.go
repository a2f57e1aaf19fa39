package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/apitest"
	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/config"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/store/storetest"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

func open(t *testing.T, cfg *config.Config) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{Argon2: &apitest.CheapArgon2})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func seedListing(t *testing.T, a *app.App) (context.Context, string) {
	t.Helper()
	ctx := context.Background()
	r := &techx.Registration{Email: "inst@example.cn", Password: "0123456789", Name: "研究员", Role: techx.RoleInstitution,
		Organization: &techx.NewOrganization{Name: "北京化工大学", Kind: techx.OrgUniversity, SourceRegion: "beijing"}}
	u, err := a.Users.Register(ctx, r, "x")
	if err != nil {
		t.Fatal(err)
	}
	uctx := techx.NewContextWithUser(ctx, u)
	return uctx, publishResult(t, a, uctx, "锂离子电池隔膜湿法制备技术", "new-materials")
}

// publishResult creates and publishes a result as the user of uctx and
// returns its id.
func publishResult(t *testing.T, a *app.App, uctx context.Context, title, industry string) string {
	t.Helper()
	in := &techx.ResultInput{}
	in.Title = techx.Opt[string]{Set: true, V: title}
	in.Industry = techx.Opt[string]{Set: true, V: industry}
	res, err := a.Catalog.CreateResult(uctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Catalog.ResultAction(uctx, res.ID, techx.ActionPublish, ""); err != nil {
		t.Fatal(err)
	}
	return res.ID
}

func found(t *testing.T, a *app.App, q, id string) bool {
	t.Helper()
	res, err := a.Index.Search(context.Background(), search.SearchRequest{Q: q})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.ID == id {
			return true
		}
	}
	return false
}

// TestCrashBeforeIndexingCatchesUp: a write committed by a process that
// died before its indexer ran is found after a restart.
func TestCrashBeforeIndexingCatchesUp(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := &config.Config{DataDir: t.TempDir(), JWTSecret: []byte(apitest.Secret)}
			if d == store.Postgres {
				cfg.DatabaseURL = storetest.PostgresURL(t)
			}
			a := open(t, cfg)
			// No Start: the follower never runs in this "process".
			_, id := seedListing(t, a)
			if found(t, a, "锂离子电池隔膜", id) {
				t.Fatal("indexed without a follower")
			}
			a.Close() // the process dies here

			b := open(t, cfg)
			defer b.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b.Start(ctx)
			_, hi, _ := b.Listings.OutboxBounds(ctx)
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			defer wcancel()
			if err := b.Indexer.WaitApplied(wctx, hi); err != nil {
				t.Fatal(err)
			}
			if !found(t, b, "锂离子电池隔膜", id) {
				t.Fatal("after restart the committed write is not found")
			}
		})
	}
}

// TestReindexEqualsIncremental: deleting the index and rebuilding it from
// the database gives the same answers as following the outbox.
func TestReindexEqualsIncremental(t *testing.T) {
	cfg := &config.Config{DataDir: t.TempDir(), JWTSecret: []byte(apitest.Secret)}
	a := open(t, cfg)
	uctx, id := seedListing(t, a)
	publishResult(t, a, uctx, "盾构机刀盘耐磨堆焊", "smart-equip")
	a.Catalog.ResultAction(uctx, id, techx.ActionWithdraw, "")
	// more listings than a batch, one of them changed after it was
	// published (two log entries): with batches of 2 the follower reads
	// each next batch while indexing the current one
	for i, title := range []string{"盾构机主轴承密封", "TBM刀具磨损监测", "盾构管片拼装机器人", "隧道掘进机姿态测量"} {
		rid := publishResult(t, a, uctx, title, "smart-equip")
		if i == 1 {
			up := &techx.ResultInput{}
			up.Title = techx.Opt[string]{Set: true, V: "TBM刀盘刀具磨损在线监测"}
			if _, err := a.Catalog.UpdateResult(uctx, rid, up); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.Indexer.Batch = 2
	for {
		n, err := a.Indexer.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	query := func(x *app.App) []string {
		var ids []string
		for _, q := range []string{"盾构机", "TBM 刀盘", "锂离子电池隔膜", ""} {
			res, err := x.Index.Search(context.Background(), search.SearchRequest{Q: q, Kind: search.KindResult})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range res.Hits {
				ids = append(ids, fmt.Sprintf("%s→%s %.12f", q, h.ID, h.Score))
			}
		}
		return ids
	}
	incremental := query(a)
	a.Close()
	// Delete the index: opening rebuilds it from the database.
	if err := os.RemoveAll(filepath.Join(cfg.DataDir, "index")); err != nil {
		t.Fatal(err)
	}
	b := open(t, cfg)
	defer b.Close()
	if !b.Index.Rebuilt() {
		t.Fatal("a deleted index was not rebuilt")
	}
	if got := query(b); !reflect.DeepEqual(got, incremental) {
		t.Fatalf("reindex answers %v\nincremental   %v", got, incremental)
	}
	if len(incremental) == 0 {
		t.Fatal("nothing found at all")
	}
}
