package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// FailureStore keeps login failures where every replica sees them (the
// database), so the limits hold for the whole service, not per process.
type FailureStore interface {
	// AddFailure records a failure for key at t.
	AddFailure(ctx context.Context, key string, at time.Time) error
	// Failures returns the failure times for key since t, oldest first.
	Failures(ctx context.Context, key string, since time.Time) ([]time.Time, error)
	// ClearFailures forgets key's failures.
	ClearFailures(ctx context.Context, key string) error
}

// ThrottleRule limits failures per key: after Max failures inside Window
// the key is blocked until the window's oldest failure ages out, and at
// least for Lockout.
type ThrottleRule struct {
	Max     int
	Window  time.Duration
	Lockout time.Duration
}

// Throttle counts login failures per account and per client IP: in
// memory, and also in Shared when set, so that several replicas enforce one
// limit. A Shared store that fails is logged and the in-memory count still
// applies.
type Throttle struct {
	mu        sync.Mutex
	account   ThrottleRule
	ip        ThrottleRule
	now       func() time.Time
	failures  map[string][]time.Time
	blocked   map[string]time.Time
	OnBlocked func(scope string) // called when a request is refused (metrics)
	// Shared, if set, holds the failures for all replicas.
	Shared FailureStore
	Log    *slog.Logger
}

// NewThrottle returns a Throttle with rules for accounts and IPs.
func NewThrottle(account, ip ThrottleRule, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{account: account, ip: ip, now: now, failures: map[string][]time.Time{}, blocked: map[string]time.Time{}}
}

// DefaultThrottle allows 5 failures per account and 20 per IP in 15 minutes.
func DefaultThrottle() *Throttle {
	return NewThrottle(ThrottleRule{Max: 5, Window: 15 * time.Minute, Lockout: time.Minute},
		ThrottleRule{Max: 20, Window: 15 * time.Minute, Lockout: time.Minute}, nil)
}

// Check returns how long the caller must wait before trying to log in to
// account from ip; zero means go ahead.
func (t *Throttle) Check(ctx context.Context, account, ip string) time.Duration {
	wait := t.sharedWait(ctx, account, ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range []string{"a:" + account, "i:" + ip} {
		if until, ok := t.blocked[k]; ok {
			if d := until.Sub(now); d > wait {
				wait = d
			} else if d <= 0 {
				delete(t.blocked, k)
			}
		}
	}
	if wait > 0 && t.OnBlocked != nil {
		t.OnBlocked("login")
	}
	return wait
}

// sharedWait applies the rules to the failures in the shared store.
func (t *Throttle) sharedWait(ctx context.Context, account, ip string) time.Duration {
	if t.Shared == nil {
		return 0
	}
	now := t.now()
	var wait time.Duration
	for _, k := range []struct {
		key  string
		rule ThrottleRule
	}{{"a:" + account, t.account}, {"i:" + ip, t.ip}} {
		fs, err := t.Shared.Failures(ctx, k.key, now.Add(-k.rule.Window))
		if err != nil {
			t.logShared("read", err)
			return 0
		}
		if len(fs) >= k.rule.Max {
			until := fs[len(fs)-k.rule.Max].Add(k.rule.Window)
			if last := fs[len(fs)-1].Add(k.rule.Lockout); until.Before(last) {
				until = last
			}
			if d := until.Sub(now); d > wait {
				wait = d
			}
		}
	}
	return wait
}

func (t *Throttle) logShared(op string, err error) {
	if t.Log != nil {
		t.Log.Warn("login throttle: shared store "+op+" failed; counting in memory only", "err", err)
	}
}

// Fail records a failed login for account from ip.
func (t *Throttle) Fail(ctx context.Context, account, ip string) {
	if t.Shared != nil {
		now := t.now()
		for _, k := range []string{"a:" + account, "i:" + ip} {
			if err := t.Shared.AddFailure(ctx, k, now); err != nil {
				t.logShared("write", err)
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.fail("a:"+account, t.account, now)
	t.fail("i:"+ip, t.ip, now)
	if len(t.failures) > 100000 {
		t.gc(now)
	}
}

func (t *Throttle) fail(key string, r ThrottleRule, now time.Time) {
	fs := t.failures[key][:0]
	for _, f := range t.failures[key] {
		if now.Sub(f) < r.Window {
			fs = append(fs, f)
		}
	}
	fs = append(fs, now)
	t.failures[key] = fs
	if len(fs) >= r.Max {
		until := fs[len(fs)-r.Max].Add(r.Window)
		if min := now.Add(r.Lockout); until.Before(min) {
			until = min
		}
		t.blocked[key] = until
	}
}

// Succeed clears the account's failures after a good login.
func (t *Throttle) Succeed(ctx context.Context, account string) {
	if t.Shared != nil {
		if err := t.Shared.ClearFailures(ctx, "a:"+account); err != nil {
			t.logShared("clear", err)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, "a:"+account)
	delete(t.blocked, "a:"+account)
}

func (t *Throttle) gc(now time.Time) {
	for k, fs := range t.failures {
		if len(fs) == 0 || now.Sub(fs[len(fs)-1]) > time.Hour {
			delete(t.failures, k)
		}
	}
	for k, until := range t.blocked {
		if now.After(until) {
			delete(t.blocked, k)
		}
	}
}
