package config

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	good := strings.Repeat("s", 32)
	c, err := Load(env(map[string]string{"TECHX_JWT_SECRET": good}))
	if err != nil || c.Addr != ":8080" || c.DataDir != "./data" || c.Dialect() != "sqlite" {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	c, err = Load(env(map[string]string{"TECHX_ENV": "dev"}))
	if err != nil || !c.GeneratedSecret || len(c.JWTSecret) < 32 {
		t.Fatalf("dev = %+v, %v", c, err)
	}
	c, err = Load(env(map[string]string{"TECHX_JWT_SECRET": good, "TECHX_DATABASE_URL": "postgres://x@h/db"}))
	if err != nil || c.Dialect() != "postgres" {
		t.Fatalf("postgres = %+v, %v", c, err)
	}
	bad := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "TECHX_JWT_SECRET is required"},
		{map[string]string{"TECHX_JWT_SECRET": "short"}, "at least 32 bytes"},
		{map[string]string{"TECHX_JWT_SECRET": good, "TECHX_ADDR": "nonsense"}, "TECHX_ADDR"},
		{map[string]string{"TECHX_JWT_SECRET": good, "TECHX_DATABASE_URL": "mysql://x"}, "TECHX_DATABASE_URL"},
		{map[string]string{"TECHX_JWT_SECRET": good, "TECHX_LOG_LEVEL": "loud"}, "TECHX_LOG_LEVEL"},
		{map[string]string{"TECHX_JWT_SECRET": good, "TECHX_ENV": "staging"}, "TECHX_ENV"},
	}
	for _, tc := range bad {
		_, err := Load(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%v) = %v; want one line naming %s", tc.env, err, tc.want)
		}
	}
}
