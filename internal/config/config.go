// Package config reads TechX's configuration from the environment.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strings"
)

// Config is the service configuration.
type Config struct {
	Addr        string // TECHX_ADDR, default :8080
	DatabaseURL string // TECHX_DATABASE_URL; empty = SQLite under DataDir
	DataDir     string // TECHX_DATA_DIR, default ./data
	JWTSecret   []byte // TECHX_JWT_SECRET; generated when Env is dev
	Env         string // TECHX_ENV: "dev" or "" (production)
	LogLevel    slog.Level
	// TrustedProxies (TECHX_TRUSTED_PROXIES) are the addresses or CIDRs of
	// reverse proxies whose X-Forwarded-For is believed for the client IP
	// (login throttling per IP); empty means none.
	TrustedProxies []string
	// GeneratedSecret is true when the JWT secret was generated (dev only).
	GeneratedSecret bool
}

// Help documents every variable; `techx serve --help` and the README show it.
const Help = `Environment:
  TECHX_ADDR          listen address (default :8080)
  TECHX_DATABASE_URL  postgres://user@host:5432/db?sslmode=disable selects PostgreSQL;
                      empty (default) uses embedded SQLite at $TECHX_DATA_DIR/techx.db
  TECHX_DATA_DIR      data directory for SQLite and the search index (default ./data)
  TECHX_JWT_SECRET    secret for signing access tokens, at least 32 bytes; required
                      unless TECHX_ENV=dev, where one is generated with a warning
  TECHX_ENV           "dev" for local development; empty for production
  TECHX_LOG_LEVEL     debug, info (default), warn or error
  TECHX_TRUSTED_PROXIES comma-separated IPs or CIDRs of reverse proxies whose
                      X-Forwarded-For names the client (default none)
  TECHX_MIGRATE       "false" makes serve wait for "techx migrate" instead of migrating
                      (same as serve --no-migrate; for replicas behind a migration Job)
`

// Load reads the configuration through getenv. The error is one line that
// names the variable at fault.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{
		Addr:        getenv("TECHX_ADDR"),
		DatabaseURL: strings.TrimSpace(getenv("TECHX_DATABASE_URL")),
		DataDir:     getenv("TECHX_DATA_DIR"),
		Env:         strings.TrimSpace(getenv("TECHX_ENV")),
	}
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return nil, fmt.Errorf("TECHX_ADDR=%q is not a host:port address (e.g. :8080)", c.Addr)
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return nil, fmt.Errorf("TECHX_DATABASE_URL must be a postgres:// URL, or empty for SQLite")
	}
	switch c.Env {
	case "", "dev", "prod", "production":
	default:
		return nil, fmt.Errorf("TECHX_ENV=%q must be dev or empty", c.Env)
	}
	switch lv := strings.ToLower(strings.TrimSpace(getenv("TECHX_LOG_LEVEL"))); lv {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return nil, fmt.Errorf("TECHX_LOG_LEVEL=%q must be debug, info, warn or error", lv)
	}
	for _, p := range strings.Split(getenv("TECHX_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		_, _, cerr := net.ParseCIDR(p)
		if net.ParseIP(p) == nil && cerr != nil {
			return nil, fmt.Errorf("TECHX_TRUSTED_PROXIES: %q is not an IP address or CIDR", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	secret := getenv("TECHX_JWT_SECRET")
	switch {
	case secret == "" && c.Env == "dev":
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		c.JWTSecret = []byte(base64.RawURLEncoding.EncodeToString(b))
		c.GeneratedSecret = true
	case secret == "":
		return nil, fmt.Errorf("TECHX_JWT_SECRET is required (at least 32 bytes); set TECHX_ENV=dev to generate one for development")
	case len(secret) < 32:
		return nil, fmt.Errorf("TECHX_JWT_SECRET must be at least 32 bytes (got %d)", len(secret))
	default:
		c.JWTSecret = []byte(secret)
	}
	return c, nil
}

// Dialect names the database the configuration selects.
func (c *Config) Dialect() string {
	if c.DatabaseURL == "" {
		return "sqlite"
	}
	return "postgres"
}
