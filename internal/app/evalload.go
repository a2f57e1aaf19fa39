package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/techx-cz/techx/internal/config"
	"github.com/techx-cz/techx/internal/techx"
	"github.com/techx-cz/techx/search"
)

// EvalLoader loads a relevance-benchmark dataset the way the product
// does: into a fresh SQLite database in a temporary data dir through the
// catalog service (rows and outbox in one transaction), then into the
// search index by the outbox follower. Organizations are made per
// institution (results) and per need.
func EvalLoader(opt Options) search.Loader {
	return func(ctx context.Context, ds *search.Dataset) (*search.Loaded, error) {
		dir, err := os.MkdirTemp("", "techx-eval-")
		if err != nil {
			return nil, err
		}
		cfg := &config.Config{DataDir: dir, JWTSecret: []byte("eval-secret-eval-secret-eval-secret-0000")}
		a, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), opt)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		cleanup := func() error { a.Close(); return os.RemoveAll(dir) }
		back := map[string]string{}
		if err := loadDataset(ctx, a, ds, back); err != nil {
			cleanup()
			return nil, err
		}
		for {
			n, err := a.Indexer.Step(ctx)
			if err != nil {
				cleanup()
				return nil, err
			}
			if n == 0 {
				break
			}
		}
		return &search.Loaded{Index: a.Index, Close: cleanup,
			DatasetID: func(kind, id string) string {
				if d, ok := back[id]; ok {
					return d
				}
				return id
			}}, nil
	}
}

func loadDataset(ctx context.Context, a *App, ds *search.Dataset, back map[string]string) error {
	members := map[string]*techx.User{}
	member := func(key string, org *techx.NewOrganization, role techx.Role) (context.Context, error) {
		if u, ok := members[key]; ok {
			return techx.NewContextWithUser(ctx, u), nil
		}
		r := &techx.Registration{Email: fmt.Sprintf("u%d@eval.invalid", len(members)), Name: "评测", Role: role, Organization: org}
		u, err := a.Users.Register(ctx, r, "no-login")
		if err != nil {
			return nil, err
		}
		members[key] = u
		return techx.NewContextWithUser(ctx, u), nil
	}
	for _, d := range ds.Needs {
		uctx, err := member("need:"+d.ID, &techx.NewOrganization{Name: "企业 " + d.ID, Kind: techx.OrgEnterprise, County: d.County}, techx.RoleEnterprise)
		if err != nil {
			return err
		}
		in := &techx.NeedInput{}
		in.Title = techx.Opt[string]{Set: true, V: d.Title}
		in.Description = techx.Opt[string]{Set: true, V: d.Text}
		in.Industry = techx.Opt[string]{Set: true, V: d.Industry}
		in.Keywords = techx.Opt[[]string]{Set: true, V: d.Keywords}
		in.MinTRL = techx.Opt[int]{Set: d.TRL > 0, V: d.TRL}
		in.Bottleneck = techx.Opt[bool]{Set: true, V: d.Bottleneck}
		if d.BudgetUnits != nil {
			in.BudgetWan = techx.Opt[techx.Wan]{Set: true, V: techx.Wan(*d.BudgetUnits)}
		}
		n, err := a.Catalog.CreateNeed(uctx, in)
		if err != nil {
			return fmt.Errorf("need %s: %w", d.ID, err)
		}
		if _, err := a.Catalog.NeedAction(uctx, n.ID, techx.ActionPublish, ""); err != nil {
			return fmt.Errorf("publish need %s: %w", d.ID, err)
		}
		back[n.ID] = d.ID
	}
	for _, d := range ds.Results {
		inst := d.Institution
		if inst == "" {
			inst = "科研机构"
		}
		region := d.SourceRegion
		if region == "" {
			region = "other-cn"
		}
		uctx, err := member("inst:"+inst+"|"+region, &techx.NewOrganization{Name: inst, Kind: techx.OrgInstitute, SourceRegion: region}, techx.RoleInstitution)
		if err != nil {
			return err
		}
		in := &techx.ResultInput{}
		in.Title = techx.Opt[string]{Set: true, V: d.Title}
		in.Abstract = techx.Opt[string]{Set: true, V: d.Text}
		in.Industry = techx.Opt[string]{Set: true, V: d.Industry}
		in.Keywords = techx.Opt[[]string]{Set: true, V: d.Keywords}
		in.TRL = techx.Opt[int]{Set: d.TRL > 0, V: d.TRL}
		in.TransferModes = techx.Opt[[]string]{Set: true, V: d.Modes}
		if d.SourceRegion != "" {
			in.SourceRegion = techx.Opt[string]{Set: true, V: d.SourceRegion}
		}
		if d.PriceUnits != nil {
			in.PriceWan = techx.Opt[techx.Wan]{Set: true, V: techx.Wan(*d.PriceUnits)}
		}
		r, err := a.Catalog.CreateResult(uctx, in)
		if err != nil {
			return fmt.Errorf("result %s: %w", d.ID, err)
		}
		if _, err := a.Catalog.ResultAction(uctx, r.ID, techx.ActionPublish, ""); err != nil {
			return fmt.Errorf("publish result %s: %w", d.ID, err)
		}
		back[r.ID] = d.ID
	}
	return nil
}
