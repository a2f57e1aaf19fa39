package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// client is a small JSON client for one TechX base URL.
type client struct {
	base string
	hc   *http.Client
}

func newClient(base string, timeout time.Duration) *client {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}
	return &client{base: strings.TrimRight(base, "/"), hc: &http.Client{Timeout: timeout, Transport: tr}}
}

// result is one request's outcome.
type result struct {
	status int // 0: no answer (connection error, timeout)
	body   []byte
	header http.Header
	dur    time.Duration
	err    error
}

func (c *client) do(ctx context.Context, method, path, token string, body any, hdr map[string]string) result {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return result{err: err}
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{err: err, dur: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return result{status: resp.StatusCode, body: b, header: resp.Header, dur: time.Since(start), err: err}
}

func (r result) json() map[string]any {
	var m map[string]any
	json.Unmarshal(r.body, &m)
	return m
}

func (r result) String() string {
	if r.status == 0 {
		return fmt.Sprintf("no answer (%v)", r.err)
	}
	return fmt.Sprintf("%d %.200s", r.status, r.body)
}

// word returns a random lowercase word: a search token no other text has.
func word() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 12)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

// uscc returns a valid 统一社会信用代码 with a random body.
func uscc() string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	body := fmt.Sprintf("91130900MA%07d", rand.IntN(9_999_999))
	w, sum := 1, 0
	for _, c := range body {
		sum += strings.IndexRune(chars, c) * w
		w = w * 3 % 31
	}
	return body + string(chars[(31-sum%31)%31])
}

// actor is a registered, logged-in user.
type actor struct {
	email, token, orgID string
}

const loadPassword = "load-password-123"

func (c *client) register(ctx context.Context, role string) (*actor, error) {
	email := fmt.Sprintf("%s-%s@load.example.cn", role, word())
	org := map[string]any{}
	switch role {
	case "enterprise":
		org = map[string]any{"name": "沧州负载测试企业" + word(), "kind": "enterprise", "uscc": uscc(), "county": "botou"}
	case "institution":
		org = map[string]any{"name": "负载测试大学" + word(), "kind": "university", "source_region": "beijing"}
	case "broker":
		org = map[string]any{"name": "负载测试服务机构" + word(), "kind": "agency", "county": "yunhe"}
	}
	r := c.do(ctx, "POST", "/api/v1/auth/register", "", map[string]any{"email": email, "password": loadPassword,
		"name": "负载测试", "role": role, "organization": org}, nil)
	if r.status != 201 {
		return nil, fmt.Errorf("register %s: %v", role, r)
	}
	r = c.do(ctx, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": loadPassword}, nil)
	if r.status != 200 {
		return nil, fmt.Errorf("login %s: %v", role, r)
	}
	a := &actor{email: email, token: r.json()["access_token"].(string)}
	me := c.do(ctx, "GET", "/api/v1/me", a.token, nil, nil)
	if me.status != 200 {
		return nil, fmt.Errorf("me: %v", me)
	}
	a.orgID, _ = me.json()["org_id"].(string)
	return a, nil
}

func needBody(token string) map[string]any {
	return map[string]any{"title": "负载测试需求 " + token, "description": "管件环缝焊接后探伤合格率低，返修多。" + token,
		"industry": "pipeline", "keywords": []string{"焊接", token}, "budget_wan": "80", "min_trl": 6, "bottleneck": true,
		"cooperation_modes": []string{"transfer"}, "deadline": "2030-12-31"}
}

func resultBody(token string) map[string]any {
	return map[string]any{"title": "负载测试成果 " + token, "abstract": "激光-电弧复合热源，焊缝气孔率降低80%。" + token,
		"industry": "pipeline", "trl": 7, "transfer_modes": []string{"license"}, "price_wan": 60, "keywords": []string{"激光焊接", token}}
}

func contractBody(token string) map[string]any {
	return map[string]any{"title": "负载测试合同 " + token, "type": "license",
		"seller":      map[string]any{"name": "北京某大学", "region": "beijing"},
		"buyer":       map[string]any{"name": "泊头模具有限公司", "uscc": "91350100M000100Y43", "region": "botou"},
		"amount_yuan": "120000.00", "tech_amount_yuan": "100000.50", "signed_on": "2024-03-15", "industry": "laser"}
}
