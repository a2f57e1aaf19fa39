-- Technology needs, research results, and the outbox that feeds the search index.
CREATE TABLE needs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL,
    county TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '[]',
    budget_wan BIGINT,
    min_trl INTEGER NOT NULL DEFAULT 0,
    bottleneck BOOLEAN NOT NULL DEFAULT FALSE,
    cooperation_modes TEXT NOT NULL DEFAULT '[]',
    deadline TEXT,
    confidential BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL,
    valid_until {{timestamp}},
    published_at {{timestamp}},
    sort_at {{timestamp}} NOT NULL,
    moderation_reason TEXT NOT NULL DEFAULT '',
    created_at {{timestamp}} NOT NULL,
    updated_at {{timestamp}} NOT NULL
);
CREATE INDEX needs_sort ON needs (sort_at DESC, id DESC);
CREATE INDEX needs_org ON needs (org_id);
CREATE INDEX needs_status_industry ON needs (status, industry);

CREATE TABLE results (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    abstract TEXT NOT NULL DEFAULT '',
    source_region TEXT NOT NULL DEFAULT '',
    trl INTEGER NOT NULL DEFAULT 0,
    transfer_modes TEXT NOT NULL DEFAULT '[]',
    price_wan BIGINT,
    patent_nos TEXT NOT NULL DEFAULT '[]',
    keywords TEXT NOT NULL DEFAULT '[]',
    industry TEXT NOT NULL,
    status TEXT NOT NULL,
    valid_until {{timestamp}},
    published_at {{timestamp}},
    sort_at {{timestamp}} NOT NULL,
    moderation_reason TEXT NOT NULL DEFAULT '',
    created_at {{timestamp}} NOT NULL,
    updated_at {{timestamp}} NOT NULL
);
CREATE INDEX results_sort ON results (sort_at DESC, id DESC);
CREATE INDEX results_org ON results (org_id);
CREATE INDEX results_status_industry ON results (status, industry);

-- The outbox is a log: every write of a need or result appends a row in the
-- same transaction. Index followers remember the last seq they applied;
-- rows are pruned after a retention period, never on apply.
CREATE TABLE outbox (
    seq {{serial}},
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    created_at {{timestamp}} NOT NULL
);
CREATE INDEX outbox_created ON outbox (created_at);
