package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func TestPasswordPHCAndRehash(t *testing.T) {
	h := NewHasher(OWASPParams)
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string %q lacks the OWASP parameters", enc)
	}
	ok, rehash, err := h.Verify("correct horse battery", enc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	ok, _, err = h.Verify("wrong password", enc)
	if err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
	cheap := NewHasher(Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	old, _ := cheap.Hash("pw-1234567890")
	ok, rehash, err = h.Verify("pw-1234567890", old)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify(old params) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$aa$bb", "$argon2id$v=19$m=x$aa$bb", "plain"} {
		if _, _, err := h.Verify("x", bad); err == nil {
			t.Errorf("Verify(%q) accepted a malformed hash", bad)
		}
	}
}

func newTokens(t *testing.T, now func() time.Time) *Tokens {
	t.Helper()
	tk, err := NewTokens(secret, 15*time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccessTokens(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tk := newTokens(t, func() time.Time { return now })
	good, err := tk.Issue("u1", "enterprise", "o1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := tk.Verify(good)
	if err != nil || c.Subject != "u1" || c.Type != TypeAccess {
		t.Fatalf("Verify(good) = %+v, %v", c, err)
	}
	if tk.TTL() > 15*time.Minute {
		t.Fatalf("TTL %v over 15 minutes", tk.TTL())
	}
	valid := func() Claims {
		return Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: Issuer, Subject: "u1", Audience: jwt.ClaimStrings{Audience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, Type: TypeAccess}
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cases := []struct {
		name  string
		token string
	}{
		{"expired", func() string {
			c := valid()
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
			return sign(t, jwt.SigningMethodHS256, secret, c)
		}()},
		{"no exp", func() string {
			c := valid()
			c.ExpiresAt = nil
			return sign(t, jwt.SigningMethodHS256, secret, c)
		}()},
		{"other key", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-0000"), valid())},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid())},
		{"HS384 where HS256 is pinned", sign(t, jwt.SigningMethodHS384, secret, valid())},
		{"ES256 where HS256 is pinned", sign(t, jwt.SigningMethodES256, ecKey, valid())},
		{"wrong issuer", func() string { c := valid(); c.Issuer = "evil"; return sign(t, jwt.SigningMethodHS256, secret, c) }()},
		{"wrong audience", func() string {
			c := valid()
			c.Audience = jwt.ClaimStrings{"other"}
			return sign(t, jwt.SigningMethodHS256, secret, c)
		}()},
		{"typ refresh", func() string { c := valid(); c.Type = "refresh"; return sign(t, jwt.SigningMethodHS256, secret, c) }()},
		{"no typ", func() string { c := valid(); c.Type = ""; return sign(t, jwt.SigningMethodHS256, secret, c) }()},
		{"garbage", "not.a.jwt"},
		{"tampered payload", good[:len(good)-3] + "abc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tk.Verify(tc.token); err == nil {
				t.Fatalf("Verify accepted a token that is %s", tc.name)
			}
		})
	}
	if _, err := NewTokens([]byte("short"), time.Minute, nil); err == nil {
		t.Fatal("NewTokens accepted a short secret")
	}
	long, _ := NewTokens(secret, time.Hour, nil)
	if long.TTL() != MaxAccessTTL {
		t.Fatalf("TTL %v, want capped at %v", long.TTL(), MaxAccessTTL)
	}
}

func TestThrottle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	th := NewThrottle(ThrottleRule{Max: 3, Window: 10 * time.Minute, Lockout: time.Minute},
		ThrottleRule{Max: 5, Window: 10 * time.Minute, Lockout: time.Minute}, func() time.Time { return now })
	for i := 0; i < 2; i++ {
		th.Fail(ctx, "a@x", "1.1.1.1")
	}
	if w := th.Check(ctx, "a@x", "1.1.1.1"); w != 0 {
		t.Fatalf("blocked after 2 failures: %v", w)
	}
	th.Fail(ctx, "a@x", "1.1.1.1")
	if w := th.Check(ctx, "a@x", "9.9.9.9"); w <= 0 {
		t.Fatal("account not blocked after 3 failures")
	}
	if w := th.Check(ctx, "b@x", "1.1.1.1"); w != 0 {
		t.Fatalf("another account from the same IP blocked after 3: %v", w)
	}
	// Per IP: spread over accounts.
	th.Fail(ctx, "c@x", "1.1.1.1")
	th.Fail(ctx, "d@x", "1.1.1.1")
	if w := th.Check(ctx, "e@x", "1.1.1.1"); w <= 0 {
		t.Fatal("IP not blocked after 5 failures across accounts")
	}
	now = now.Add(11 * time.Minute)
	if w := th.Check(ctx, "a@x", "1.1.1.1"); w != 0 {
		t.Fatalf("still blocked after the window: %v", w)
	}
	th.Fail(ctx, "z@x", "2.2.2.2")
	th.Succeed(ctx, "z@x")
	th.Fail(ctx, "z@x", "2.2.2.2")
	th.Fail(ctx, "z@x", "2.2.2.2")
	if w := th.Check(ctx, "z@x", "3.3.3.3"); w != 0 {
		t.Fatal("success did not reset the account's failures")
	}
}
