package auth

import (
	"sync"
	"time"
)

// ThrottleRule limits failures per key: after Max failures inside Window
// the key is blocked until the window's oldest failure ages out, and at
// least for Lockout.
type ThrottleRule struct {
	Max     int
	Window  time.Duration
	Lockout time.Duration
}

// Throttle counts login failures per account and per client IP, in memory.
// Each replica counts its own; the limits are set so that one replica's
// share already stops online guessing.
type Throttle struct {
	mu        sync.Mutex
	account   ThrottleRule
	ip        ThrottleRule
	now       func() time.Time
	failures  map[string][]time.Time
	blocked   map[string]time.Time
	OnBlocked func(scope string) // called when a request is refused (metrics)
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
func (t *Throttle) Check(account, ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
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

// Fail records a failed login for account from ip.
func (t *Throttle) Fail(account, ip string) {
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
func (t *Throttle) Succeed(account string) {
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
