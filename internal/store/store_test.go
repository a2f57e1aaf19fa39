package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/store/storetest"
	"github.com/techx-cz/techx/internal/techx"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v, err := db.SchemaVersion(ctx)
		if err != nil || v != store.LatestVersion() || v == 0 {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.LatestVersion())
		}
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, %v; want nothing", applied, err)
		}
	})
}

func TestMigrationsAreNumbered(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 || m.SQL[store.Postgres] == "" || m.SQL[store.SQLite] == "" {
			t.Errorf("migration %d: version %d, name %q; each needs SQL for both dialects", i, m.Version, m.Name)
		}
	}
}

func enterprise(uscc string) *techx.Registration {
	return &techx.Registration{Email: "boss@" + uscc + ".cn", Password: "0123456789", Name: "王", Role: techx.RoleEnterprise,
		Organization: &techx.NewOrganization{Name: "泊头模具", Kind: techx.OrgEnterprise, USCC: uscc, County: "botou"}}
}

func TestUsersAndOrganizations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewUserService(db)
		u, err := s.Register(ctx, enterprise("91350100M000100Y43"), "hash")
		if err != nil {
			t.Fatal(err)
		}
		if !u.OrgOwner || u.Organization == nil || u.Organization.USCC != "91350100M000100Y43" {
			t.Fatalf("registered %+v", u)
		}
		got, err := s.FindUserByEmail(ctx, "BOSS@91350100M000100Y43.CN")
		if err != nil || got.ID != u.ID || got.Organization.Name != "泊头模具" {
			t.Fatalf("FindUserByEmail = %+v, %v", got, err)
		}
		// Same credit code again: conflict, and nothing half-written.
		r := enterprise("91350100M000100Y43")
		r.Email = "other@x.cn"
		if _, err := s.Register(ctx, r, "hash"); techx.ErrorCode(err) != techx.ECONFLICT {
			t.Fatalf("duplicate USCC: %v, want conflict", err)
		}
		if _, err := s.FindUserByEmail(ctx, "other@x.cn"); techx.ErrorCode(err) != techx.ENOTFOUND {
			t.Fatalf("user of a failed registration exists: %v", err)
		}
		// Invitation: single use, expires.
		now := time.Now().UTC()
		inv := &techx.Invitation{Code: "code-1", OrgID: u.OrgID, CreatedBy: u.ID, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		join := &techx.Registration{Email: "member@x.cn", Password: "0123456789", Name: "李", Role: techx.RoleEnterprise, InviteCode: "code-1"}
		m, err := s.Register(ctx, join, "hash")
		if err != nil || m.OrgID != u.OrgID || m.OrgOwner {
			t.Fatalf("join by invitation = %+v, %v", m, err)
		}
		join.Email = "second@x.cn"
		if _, err := s.Register(ctx, join, "hash"); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("reused invitation: %v, want invalid", err)
		}
		expired := &techx.Invitation{Code: "code-2", OrgID: u.OrgID, CreatedBy: u.ID, ExpiresAt: now.Add(-time.Minute)}
		s.CreateInvitation(ctx, expired)
		join.InviteCode = "code-2"
		if _, err := s.Register(ctx, join, "hash"); techx.ErrorCode(err) != techx.EINVALID {
			t.Fatalf("expired invitation: %v, want invalid", err)
		}
		o, err := s.VerifyOrganization(ctx, u.OrgID, now)
		if err != nil || o.VerifiedAt == nil {
			t.Fatalf("VerifyOrganization = %+v, %v", o, err)
		}
		if _, err := s.FindOrganizationByID(ctx, "nope"); techx.ErrorCode(err) != techx.ENOTFOUND {
			t.Fatalf("unknown org: %v", err)
		}
		a, err := s.CreateAdmin(ctx, "Admin@Bureau.cn", "管理员", "hash")
		if err != nil || a.Role != techx.RoleAdmin || a.Organization.Name != store.BureauName {
			t.Fatalf("CreateAdmin = %+v, %v", a, err)
		}
		if _, err := s.CreateAdmin(ctx, "admin@bureau.cn", "x", "hash"); techx.ErrorCode(err) != techx.ECONFLICT {
			t.Fatalf("duplicate admin: %v", err)
		}
	})
}

func TestRefreshFamilies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewUserService(db)
		u, err := s.Register(ctx, enterprise("91350100M000100Y43"), "hash")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		first := &techx.RefreshToken{UserID: u.ID, Hash: "h1", ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateRefreshToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		second, err := s.RotateRefreshToken(ctx, "h1", now, &techx.RefreshToken{Hash: "h2", ExpiresAt: now.Add(time.Hour)})
		if err != nil || second.FamilyID != first.FamilyID || second.UserID != u.ID {
			t.Fatalf("rotate = %+v, %v", second, err)
		}
		// Presenting h1 again is reuse: refused, and h2 dies with the family.
		if _, err := s.RotateRefreshToken(ctx, "h1", now, &techx.RefreshToken{Hash: "h3", ExpiresAt: now.Add(time.Hour)}); techx.ErrorCode(err) != techx.EUNAUTHORIZED {
			t.Fatalf("reuse: %v, want unauthorized", err)
		}
		if _, err := s.RotateRefreshToken(ctx, "h2", now, &techx.RefreshToken{Hash: "h4", ExpiresAt: now.Add(time.Hour)}); techx.ErrorCode(err) != techx.EUNAUTHORIZED {
			t.Fatalf("family member after reuse: %v, want unauthorized", err)
		}
		// Expiry and logout.
		s.CreateRefreshToken(ctx, &techx.RefreshToken{UserID: u.ID, Hash: "old", ExpiresAt: now.Add(-time.Second)})
		if _, err := s.RotateRefreshToken(ctx, "old", now, &techx.RefreshToken{Hash: "h5", ExpiresAt: now.Add(time.Hour)}); techx.ErrorCode(err) != techx.EUNAUTHORIZED {
			t.Fatalf("expired: %v", err)
		}
		s.CreateRefreshToken(ctx, &techx.RefreshToken{UserID: u.ID, Hash: "l1", ExpiresAt: now.Add(time.Hour)})
		if err := s.RevokeRefreshFamily(ctx, "l1", now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, "l1", now, &techx.RefreshToken{Hash: "h6", ExpiresAt: now.Add(time.Hour)}); techx.ErrorCode(err) != techx.EUNAUTHORIZED {
			t.Fatalf("after logout: %v", err)
		}
		if _, err := s.RotateRefreshToken(ctx, "unknown", now, &techx.RefreshToken{Hash: "h7", ExpiresAt: now.Add(time.Hour)}); techx.ErrorCode(err) != techx.EUNAUTHORIZED {
			t.Fatalf("unknown: %v", err)
		}
	})
}
