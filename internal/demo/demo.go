// Package demo loads the Cangzhou-flavoured demo data set in seeds/demo
// through the same services the API uses, so the data is validated like
// any other input. Loading is idempotent: what exists is left alone.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/techx"
)

// Organization is one organization of organizations.json.
type Organization struct {
	Key          string `json:"key"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	USCC         string `json:"uscc"`
	County       string `json:"county"`
	SourceRegion string `json:"source_region"`
}

// User is one account of users.json; passwords are documented in the README.
type User struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Org      string `json:"org"`
}

// Set is the whole demo data set.
type Set struct {
	Organizations []Organization
	Users         []User
	Needs         []json.RawMessage
	Results       []json.RawMessage
	Contracts     []json.RawMessage
}

// Load reads the data set from fsys.
func Load(fsys fs.FS) (*Set, error) {
	var s Set
	for name, dst := range map[string]any{"organizations.json": &s.Organizations, "users.json": &s.Users,
		"needs.json": &s.Needs, "results.json": &s.Results, "contracts.json": &s.Contracts} {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return nil, fmt.Errorf("demo %s: %w", name, err)
		}
	}
	return &s, nil
}

// Report counts what a load created.
type Report struct {
	Users, Needs, Results, Contracts int
	OrgOf                            map[string]string // organization key → id
	UserOf                           map[string]*techx.User
}

// SeedAccounts creates the organizations and users: the first user of an
// organization registers it, the others join by invitation, administrators
// are created as `techx admin create` does.
func SeedAccounts(ctx context.Context, s *Set, users techx.UserService, tx *techx.Taxonomy, hasher *auth.Hasher) (*Report, error) {
	orgs := map[string]Organization{}
	for _, o := range s.Organizations {
		orgs[o.Key] = o
	}
	rep := &Report{OrgOf: map[string]string{}, UserOf: map[string]*techx.User{}}
	hashes := map[string]string{} // one argon2 run per distinct demo password
	for _, du := range s.Users {
		o, ok := orgs[du.Org]
		if !ok {
			return nil, fmt.Errorf("demo user %s: unknown organization %q", du.Email, du.Org)
		}
		if u, err := users.FindUserByEmail(ctx, du.Email); err == nil {
			rep.OrgOf[o.Key], rep.UserOf[du.Email] = u.OrgID, u
			continue
		} else if techx.ErrorCode(err) != techx.ENOTFOUND {
			return nil, err
		}
		h, ok := hashes[du.Password]
		if !ok {
			var err error
			if h, err = hasher.Hash(du.Password); err != nil {
				return nil, err
			}
			hashes[du.Password] = h
		}
		var (
			u   *techx.User
			err error
		)
		if techx.Role(du.Role) == techx.RoleAdmin {
			u, err = users.CreateAdmin(ctx, du.Email, du.Name, h)
		} else {
			r := &techx.Registration{Email: du.Email, Password: du.Password, Name: du.Name, Role: techx.Role(du.Role)}
			if orgID, ok := rep.OrgOf[o.Key]; ok {
				r.InviteCode = auth.RandomToken(18)
				owner := firstUserOf(rep, orgID)
				if err := users.CreateInvitation(ctx, &techx.Invitation{Code: r.InviteCode, OrgID: orgID, CreatedBy: owner,
					ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
					return nil, err
				}
			} else {
				r.Organization = &techx.NewOrganization{Name: o.Name, Kind: techx.OrgKind(o.Kind), USCC: o.USCC,
					County: o.County, SourceRegion: o.SourceRegion}
			}
			if err := r.Validate(tx); err != nil {
				return nil, fmt.Errorf("demo user %s: %w", du.Email, err)
			}
			u, err = users.Register(ctx, r, h)
		}
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", du.Email, err)
		}
		rep.OrgOf[o.Key], rep.UserOf[du.Email] = u.OrgID, u
		rep.Users++
	}
	return rep, nil
}

func firstUserOf(rep *Report, orgID string) string {
	for _, u := range rep.UserOf {
		if u.OrgID == orgID && u.OrgOwner {
			return u.ID
		}
	}
	for _, u := range rep.UserOf {
		if u.OrgID == orgID {
			return u.ID
		}
	}
	return ""
}

type demoNeed struct {
	techx.NeedInput
	Org    string `json:"org"`
	Status string `json:"status"`
}

type demoResult struct {
	techx.ResultInput
	Org    string `json:"org"`
	Status string `json:"status"`
}

// SeedListings creates the demo needs and results through the catalog
// service, as a member of each listing's organization, and publishes
// those marked published. Listings whose organization already has one
// with the same title are left alone.
func SeedListings(ctx context.Context, s *Set, rep *Report, cat techx.CatalogService) error {
	memberOf := map[string]*techx.User{}
	for _, u := range rep.UserOf {
		if cur, ok := memberOf[u.OrgID]; !ok || (u.OrgOwner && !cur.OrgOwner) {
			memberOf[u.OrgID] = u
		}
	}
	as := func(orgKey string) (context.Context, error) {
		u := memberOf[rep.OrgOf[orgKey]]
		if u == nil {
			return nil, fmt.Errorf("demo listing: organization %q has no user", orgKey)
		}
		return techx.NewContextWithUser(ctx, u), nil
	}
	for i, raw := range s.Needs {
		var d demoNeed
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("demo need %d: %w", i, err)
		}
		uctx, err := as(d.Org)
		if err != nil {
			return err
		}
		existing, _, _, err := cat.FindNeeds(uctx, techx.ListingFilter{OrgID: rep.OrgOf[d.Org], Q: d.Title.V, PageSize: 100})
		if err != nil {
			return err
		}
		if hasTitle(len(existing), func(i int) string { return existing[i].Title }, d.Title.V) {
			continue
		}
		n, err := cat.CreateNeed(uctx, &d.NeedInput)
		if err != nil {
			return fmt.Errorf("demo need %q: %w", d.Title.V, err)
		}
		if d.Status == techx.StatusPublished {
			if _, err := cat.NeedAction(uctx, n.ID, techx.ActionPublish, ""); err != nil {
				return fmt.Errorf("publish demo need %q: %w", d.Title.V, err)
			}
		}
		rep.Needs++
	}
	for i, raw := range s.Results {
		var d demoResult
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("demo result %d: %w", i, err)
		}
		uctx, err := as(d.Org)
		if err != nil {
			return err
		}
		existing, _, _, err := cat.FindResults(uctx, techx.ListingFilter{OrgID: rep.OrgOf[d.Org], Q: d.Title.V, PageSize: 100})
		if err != nil {
			return err
		}
		if hasTitle(len(existing), func(i int) string { return existing[i].Title }, d.Title.V) {
			continue
		}
		r, err := cat.CreateResult(uctx, &d.ResultInput)
		if err != nil {
			return fmt.Errorf("demo result %q: %w", d.Title.V, err)
		}
		if d.Status == techx.StatusPublished {
			if _, err := cat.ResultAction(uctx, r.ID, techx.ActionPublish, ""); err != nil {
				return fmt.Errorf("publish demo result %q: %w", d.Title.V, err)
			}
		}
		rep.Results++
	}
	return nil
}

func hasTitle(n int, title func(int) string, want string) bool {
	for i := 0; i < n; i++ {
		if title(i) == want {
			return true
		}
	}
	return false
}

type demoContract struct {
	techx.NewContract
	Key    string `json:"key"`
	Verify bool   `json:"verify"`
}

// SeedContracts records the demo technology contracts as a broker, each
// under its own Idempotency-Key (so a second load replays instead of
// recording twice), and verifies (认定登记) those marked so as an admin.
func SeedContracts(ctx context.Context, s *Set, rep *Report, contracts techx.ContractService) error {
	var broker, admin *techx.User
	for _, u := range rep.UserOf {
		switch {
		case u.Role == techx.RoleBroker && (broker == nil || u.Email < broker.Email):
			broker = u
		case u.Role == techx.RoleAdmin && (admin == nil || u.Email < admin.Email):
			admin = u
		}
	}
	if broker == nil || admin == nil {
		return fmt.Errorf("demo contracts need a broker and an admin")
	}
	bctx, actx := techx.NewContextWithUser(ctx, broker), techx.NewContextWithUser(ctx, admin)
	for i, raw := range s.Contracts {
		var d demoContract
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("demo contract %d: %w", i, err)
		}
		nc := d.NewContract
		c, replayed, err := contracts.CreateContract(bctx, &nc, techx.IdempotencyKey{Key: "demo:" + d.Key, Fingerprint: nc.Fingerprint()})
		if err != nil {
			return fmt.Errorf("demo contract %s: %w", d.Key, err)
		}
		if replayed {
			continue
		}
		rep.Contracts++
		if d.Verify {
			if _, err := contracts.VerifyContract(actx, c.ID, ""); err != nil {
				return fmt.Errorf("verify demo contract %s: %w", d.Key, err)
			}
		}
	}
	return nil
}
