package auth

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/techx-cz/techx/internal/techx"
)

// TokenPair is what login and refresh return.
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// Service is the account flow: register, login, refresh, logout and
// authenticating a bearer token.
type Service struct {
	Users      techx.UserService
	Taxonomy   *techx.Taxonomy
	Hasher     *Hasher
	Tokens     *Tokens
	Throttle   *Throttle
	RefreshTTL time.Duration
	Now        func() time.Time
	Log        *slog.Logger

	dummyHash string
}

// NewService wires the account flow.
func NewService(users techx.UserService, tx *techx.Taxonomy, h *Hasher, t *Tokens, th *Throttle, log *slog.Logger) *Service {
	dummy, _ := h.Hash("techx-dummy-password-for-timing")
	return &Service{Users: users, Taxonomy: tx, Hasher: h, Tokens: t, Throttle: th, RefreshTTL: DefaultRefreshTTL,
		Now: func() time.Time { return time.Now().UTC() }, Log: log, dummyHash: dummy}
}

var errBadLogin = techx.Errorf(techx.EUNAUTHORIZED, "Wrong e-mail or password.")

// Register validates r and creates the account.
func (s *Service) Register(ctx context.Context, r *techx.Registration) (*techx.User, error) {
	if err := r.Validate(s.Taxonomy); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(r.Password)
	if err != nil {
		return nil, err
	}
	return s.Users.Register(ctx, r, hash)
}

// Login checks the password, throttling failures per account and per IP.
// Unknown e-mail and wrong password give the same answer, in about the
// same time.
func (s *Service) Login(ctx context.Context, email, password, ip string) (*TokenPair, error) {
	email = techx.NormalizeEmail(email)
	if wait := s.Throttle.Check(ctx, email, ip); wait > 0 {
		return nil, &techx.Error{Code: techx.ETOOMANYREQUESTS, Message: "Too many failed logins; try again later.",
			RetryAfter: int(math.Ceil(wait.Seconds()))}
	}
	u, err := s.Users.FindUserByEmail(ctx, email)
	if techx.ErrorCode(err) == techx.ENOTFOUND {
		s.Hasher.Verify(password, s.dummyHash) // spend the same time as a real check
		s.Throttle.Fail(ctx, email, ip)
		return nil, errBadLogin
	} else if err != nil {
		return nil, err
	}
	ok, rehash, err := s.Hasher.Verify(password, u.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", u.ID, err)
	}
	if !ok {
		s.Throttle.Fail(ctx, email, ip)
		return nil, errBadLogin
	}
	s.Throttle.Succeed(ctx, email)
	if rehash {
		if h, err := s.Hasher.Hash(password); err == nil {
			if err := s.Users.UpdatePasswordHash(ctx, u.ID, h); err != nil {
				s.Log.Warn("rehash password failed", "user_id", u.ID, "err", err)
			}
		}
	}
	rt := &techx.RefreshToken{UserID: u.ID}
	raw := RandomToken(32)
	rt.Hash, rt.ExpiresAt = HashToken(raw), s.Now().Add(s.RefreshTTL)
	if err := s.Users.CreateRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	return s.pair(u, raw)
}

// Refresh exchanges a refresh token for a new pair, rotating it.
func (s *Service) Refresh(ctx context.Context, refresh string) (*TokenPair, error) {
	if refresh == "" {
		return nil, techx.Errorf(techx.EUNAUTHORIZED, "The refresh token is invalid or expired.")
	}
	raw := RandomToken(32)
	next := &techx.RefreshToken{Hash: HashToken(raw), ExpiresAt: s.Now().Add(s.RefreshTTL)}
	next, err := s.Users.RotateRefreshToken(ctx, HashToken(refresh), s.Now(), next)
	if err != nil {
		return nil, err
	}
	u, err := s.Users.FindUserByID(ctx, next.UserID)
	if err != nil {
		return nil, err
	}
	return s.pair(u, raw)
}

// Logout revokes the refresh token's family. Unknown tokens are ignored.
func (s *Service) Logout(ctx context.Context, refresh string) error {
	return s.Users.RevokeRefreshFamily(ctx, HashToken(refresh), s.Now())
}

// Authenticate verifies a bearer access token and loads its user.
func (s *Service) Authenticate(ctx context.Context, bearer string) (*techx.User, error) {
	c, err := s.Tokens.Verify(bearer)
	if err != nil {
		return nil, techx.Errorf(techx.EUNAUTHORIZED, "The access token is invalid or expired.")
	}
	u, err := s.Users.FindUserByID(ctx, c.Subject)
	if techx.ErrorCode(err) == techx.ENOTFOUND {
		return nil, techx.Errorf(techx.EUNAUTHORIZED, "The access token is invalid or expired.")
	}
	return u, err
}

func (s *Service) pair(u *techx.User, refresh string) (*TokenPair, error) {
	at, err := s.Tokens.Issue(u.ID, string(u.Role), u.OrgID)
	if err != nil {
		return nil, err
	}
	return &TokenPair{AccessToken: at, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(s.Tokens.TTL().Seconds())}, nil
}

// HashToken is the stored form of an opaque token: hex SHA-256.
func HashToken(raw string) string { return techx.HashSecret(raw) }
