package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/store/storetest"
)

// TestSharedThrottle: two replicas' throttles on one database enforce one
// limit between them.
func TestSharedThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		clock := func() time.Time { return now }
		rule := auth.ThrottleRule{Max: 4, Window: 10 * time.Minute, Lockout: time.Minute}
		shared := store.NewLoginFailures(db)
		a := auth.NewThrottle(rule, auth.ThrottleRule{Max: 100, Window: time.Minute}, clock)
		b := auth.NewThrottle(rule, auth.ThrottleRule{Max: 100, Window: time.Minute}, clock)
		a.Shared, b.Shared = shared, shared
		a.Fail(ctx, "x@y.cn", "1.1.1.1")
		a.Fail(ctx, "x@y.cn", "1.1.1.2")
		b.Fail(ctx, "x@y.cn", "1.1.1.3")
		if w := b.Check(ctx, "x@y.cn", "1.1.1.4"); w != 0 {
			t.Fatalf("blocked after 3 of 4: %v", w)
		}
		b.Fail(ctx, "x@y.cn", "1.1.1.5")
		if w := a.Check(ctx, "x@y.cn", "1.1.1.6"); w <= 0 {
			t.Fatal("replica a does not see the failures recorded through replica b")
		}
		a.Succeed(ctx, "x@y.cn")
		if w := b.Check(ctx, "x@y.cn", "1.1.1.7"); w != 0 {
			t.Fatalf("still blocked after a good login: %v", w)
		}
		if n, err := shared.Prune(ctx, now.Add(time.Hour)); err != nil || n == 0 {
			t.Fatalf("prune = %d, %v", n, err)
		}
	})
}
