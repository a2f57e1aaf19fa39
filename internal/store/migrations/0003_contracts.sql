-- Technology contracts (技术合同), their append-only audit trail, idempotency
-- keys of money-recording requests, turnover targets with official figures,
-- and the values of the plan's indicators. Money is integer fen (BIGINT);
-- dates are TEXT 'YYYY-MM-DD', which sorts and slices the same everywhere.
CREATE TABLE contracts (
    id TEXT PRIMARY KEY,
    deal_id TEXT,
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    seller_name TEXT NOT NULL,
    seller_uscc TEXT NOT NULL DEFAULT '',
    seller_org_id TEXT REFERENCES organizations (id),
    seller_region TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    buyer_uscc TEXT NOT NULL DEFAULT '',
    buyer_org_id TEXT REFERENCES organizations (id),
    buyer_region TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    tech_amount_fen BIGINT NOT NULL CHECK (tech_amount_fen > 0 AND tech_amount_fen <= amount_fen),
    signed_on TEXT NOT NULL,
    county TEXT NOT NULL,
    industry TEXT NOT NULL,
    registration_no TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('outflow', 'inflow', 'local')),
    source_region TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('recorded', 'verified', 'void')),
    void_reason TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at {{timestamp}} NOT NULL,
    updated_at {{timestamp}} NOT NULL,
    verified_at {{timestamp}},
    voided_at {{timestamp}}
);
CREATE UNIQUE INDEX contracts_registration_no ON contracts (registration_no) WHERE registration_no IS NOT NULL;
CREATE INDEX contracts_signed ON contracts (signed_on DESC, id DESC);
CREATE INDEX contracts_status_signed ON contracts (status, signed_on);
CREATE INDEX contracts_seller_org ON contracts (seller_org_id);
CREATE INDEX contracts_buyer_org ON contracts (buyer_org_id);

-- Append-only: who did what to a contract, when, before and after (JSON).
CREATE TABLE contract_audit (
    id {{serial}},
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    action TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    at {{timestamp}} NOT NULL,
    before_json TEXT,
    after_json TEXT NOT NULL
);
CREATE INDEX contract_audit_contract ON contract_audit (contract_id, id);

-- One row per (user, Idempotency-Key), written in the transaction that
-- records the contract; response_json is the first response, replayed.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    response_json TEXT NOT NULL,
    created_at {{timestamp}} NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);

CREATE TABLE targets (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    baseline_year INTEGER NOT NULL,
    baseline_fen BIGINT NOT NULL CHECK (baseline_fen > 0),
    target_year INTEGER NOT NULL,
    target_fen BIGINT NOT NULL CHECK (target_fen > 0),
    created_at {{timestamp}} NOT NULL
);

-- Published yearly figures (in fen), shown apart from recorded sums.
CREATE TABLE target_official (
    code TEXT NOT NULL REFERENCES targets (code),
    year INTEGER NOT NULL,
    value_fen BIGINT NOT NULL CHECK (value_fen >= 0),
    updated_by TEXT,
    updated_at {{timestamp}} NOT NULL,
    PRIMARY KEY (code, year)
);

-- The plan's target: 技术合同成交额 68.2亿元 (2020) → 150亿元 (2025);
-- 1亿元 = 10^10 fen. Official figures: 2015 7.63亿元, 2020 68.2亿元.
INSERT INTO targets (code, name, unit, baseline_year, baseline_fen, target_year, target_fen, created_at)
VALUES ('tech_contract_turnover', '技术合同成交额', '亿元', 2020, 682000000000, 2025, 1500000000000, CURRENT_TIMESTAMP);
INSERT INTO target_official (code, year, value_fen, updated_at) VALUES ('tech_contract_turnover', 2015, 76300000000, CURRENT_TIMESTAMP);
INSERT INTO target_official (code, year, value_fen, updated_at) VALUES ('tech_contract_turnover', 2020, 682000000000, CURRENT_TIMESTAMP);

-- Yearly values of the plan's 11 indicators, scaled by 10^4 (not money,
-- never floats): 1.29 % is 12900.
CREATE TABLE indicator_values (
    no INTEGER NOT NULL,
    year INTEGER NOT NULL,
    value_e4 BIGINT NOT NULL,
    updated_by TEXT,
    updated_at {{timestamp}} NOT NULL,
    PRIMARY KEY (no, year)
);
