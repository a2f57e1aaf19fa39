package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token settings.
const (
	Issuer            = "techx"
	Audience          = "techx-api"
	TypeAccess        = "access"
	MaxAccessTTL      = 15 * time.Minute
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// Claims are the access token's claims.
type Claims struct {
	jwt.RegisteredClaims
	// Type distinguishes access tokens from any other token we might sign.
	Type string `json:"typ"`
	Role string `json:"role"`
	Org  string `json:"org"`
}

// Tokens issues and verifies HS256 access tokens.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// NewTokens returns a token issuer with the secret and access-token
// lifetime ttl (capped at 15 minutes).
func NewTokens(secret []byte, ttl time.Duration, now func() time.Time) (*Tokens, error) {
	if len(secret) < 32 {
		return nil, errors.New("JWT secret must be at least 32 bytes")
	}
	if ttl <= 0 || ttl > MaxAccessTTL {
		ttl = MaxAccessTTL
	}
	if now == nil {
		now = time.Now
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(now),
	)
	return &Tokens{secret: secret, ttl: ttl, now: now, parser: p}, nil
}

// TTL returns the access-token lifetime.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a signed access token for the user.
func (t *Tokens) Issue(userID, role, orgID string) (string, error) {
	now := t.now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			ID:        RandomToken(12),
		},
		Type: TypeAccess, Role: role, Org: orgID,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
}

// Verify parses and checks an access token: algorithm, signature, exp,
// iss, aud and typ. It returns the claims.
func (t *Tokens) Verify(token string) (*Claims, error) {
	var c Claims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil })
	if err != nil {
		return nil, fmt.Errorf("verify access token: %w", err)
	}
	if c.Type != TypeAccess {
		return nil, errors.New("verify access token: not an access token")
	}
	if c.Subject == "" {
		return nil, errors.New("verify access token: no subject")
	}
	return &c, nil
}
