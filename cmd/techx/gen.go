package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/techx-cz/techx/internal/app"
	"github.com/techx-cz/techx/internal/gen"
	"github.com/techx-cz/techx/internal/techx"
)

// runGen writes synthetic published listings (with their outbox rows) for
// load and performance tests.
func runGen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	needs := fs.Int("needs", 1000, "how many needs")
	results := fs.Int("results", 1000, "how many results")
	orgs := fs.Int("orgs", 200, "how many organizations of each side")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same listings)")
	if ok, err := parseFlags(fs, args, stderr, "Usage: techx gen --needs N --results M\n\nWrites synthetic published listings built from the taxonomy and thesaurus."); !ok {
		return err
	}
	a, err := openApp(ctx, withDevSecret(getenv), stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	g := gen.New(*seed, a.Taxonomy, a.Index.Thesaurus(), time.Now().UTC())
	ents, insts, err := genOrgs(ctx, a, *orgs, *seed)
	if err != nil {
		return err
	}
	const chunk = 5000
	for done := 0; done < *needs || done < *results; done += chunk {
		var ns []*techx.Need
		var rs []*techx.Result
		for i := done; i < min(done+chunk, *needs); i++ {
			u := ents[i%len(ents)]
			ns = append(ns, g.Need(u.OrgID, u.ID, u.Organization.County, true))
		}
		for i := done; i < min(done+chunk, *results); i++ {
			u := insts[i%len(insts)]
			rs = append(rs, g.Result(u.OrgID, u.ID, u.Organization.Name, u.Organization.SourceRegion, true))
		}
		if err := a.Catalog.BulkInsert(ctx, ns, rs, 1000); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "\r%s", progressBar(min(done+chunk, max(*needs, *results)), max(*needs, *results), 30))
	}
	fmt.Fprintf(stderr, "\n")
	fmt.Fprintf(stdout, "generated %d needs and %d results in %s\n", *needs, *results, time.Since(start).Round(time.Millisecond))
	return nil
}

// genOrgs registers (or finds) the synthetic organizations' users.
func genOrgs(ctx context.Context, a *app.App, n int, seed uint64) (ents, insts []*techx.User, err error) {
	counties := a.Taxonomy.Counties
	regions := []string{"beijing", "beijing", "tianjin", "tianjin", "hebei", "other-cn"}
	for i := 0; i < n; i++ {
		for _, side := range []string{"e", "i"} {
			email := fmt.Sprintf("gen-%s%d-s%d@gen.invalid", side, i, seed)
			u, err := a.Users.FindUserByEmail(ctx, email)
			if techx.ErrorCode(err) == techx.ENOTFOUND {
				r := &techx.Registration{Email: email, Name: "合成用户", Role: techx.RoleEnterprise,
					Organization: &techx.NewOrganization{Name: fmt.Sprintf("合成企业%d-%d", seed, i), Kind: techx.OrgEnterprise,
						County: counties[i%len(counties)].Code}}
				if side == "i" {
					r.Role = techx.RoleInstitution
					r.Organization = &techx.NewOrganization{Name: fmt.Sprintf("合成研究院%d-%d", seed, i), Kind: techx.OrgInstitute,
						SourceRegion: regions[i%len(regions)]}
				}
				u, err = a.Users.Register(ctx, r, "no-login")
			}
			if err != nil {
				return nil, nil, err
			}
			if side == "e" {
				ents = append(ents, u)
			} else {
				insts = append(insts, u)
			}
		}
	}
	return ents, insts, nil
}
