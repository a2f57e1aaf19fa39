-- Brokering (issue 5): deals with their timeline, 揭榜挂帅 challenges and
-- their applications, saved searches and the users' notification inboxes.
CREATE TABLE deals (
    id TEXT PRIMARY KEY,
    need_id TEXT NOT NULL REFERENCES needs (id),
    result_id TEXT NOT NULL REFERENCES results (id),
    need_org_id TEXT NOT NULL REFERENCES organizations (id),
    result_org_id TEXT NOT NULL REFERENCES organizations (id),
    industry TEXT NOT NULL DEFAULT '',
    broker_id TEXT REFERENCES users (id),
    stage TEXT NOT NULL CHECK (stage IN ('proposed', 'contacted', 'negotiating', 'signed', 'lost')),
    mode TEXT NOT NULL,
    lost_reason TEXT NOT NULL DEFAULT '',
    opened_by TEXT NOT NULL REFERENCES users (id),
    opened_side TEXT NOT NULL CHECK (opened_side IN ('need', 'result', 'broker')),
    challenge_id TEXT,
    created_at {{timestamp}} NOT NULL,
    updated_at {{timestamp}} NOT NULL,
    last_activity_at {{timestamp}} NOT NULL,
    signed_at {{timestamp}}
);
-- One open deal per need–result pair.
CREATE UNIQUE INDEX deals_open_pair ON deals (need_id, result_id) WHERE stage IN ('proposed', 'contacted', 'negotiating');
CREATE INDEX deals_created ON deals (created_at DESC, id DESC);
CREATE INDEX deals_need_org ON deals (need_org_id);
CREATE INDEX deals_result_org ON deals (result_org_id);
CREATE INDEX deals_broker ON deals (broker_id);
CREATE INDEX deals_need ON deals (need_id, stage);

-- The timeline: every opening, stage change, note and assignment.
CREATE TABLE deal_events (
    id TEXT PRIMARY KEY,
    deal_id TEXT NOT NULL REFERENCES deals (id),
    kind TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users (id),
    at {{timestamp}} NOT NULL,
    from_stage TEXT NOT NULL DEFAULT '',
    to_stage TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    broker_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deal_events_deal ON deal_events (deal_id, at, id);

-- 揭榜挂帅: at most one challenge per need. Money in 0.0001 万元 (yuan).
CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    need_id TEXT NOT NULL UNIQUE REFERENCES needs (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    bounty_wan BIGINT NOT NULL CHECK (bounty_wan > 0),
    apply_until TEXT NOT NULL,
    requirements TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    awarded_application_id TEXT,
    deal_id TEXT REFERENCES deals (id),
    awarded_at {{timestamp}},
    created_at {{timestamp}} NOT NULL,
    updated_at {{timestamp}} NOT NULL
);
CREATE INDEX challenges_list ON challenges (status DESC, created_at DESC, id DESC);

-- One application per organization and challenge.
CREATE TABLE challenge_applications (
    id TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL REFERENCES challenges (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    proposal TEXT NOT NULL,
    planned_trl INTEGER NOT NULL,
    price_wan BIGINT,
    team TEXT NOT NULL DEFAULT '',
    result_id TEXT REFERENCES results (id),
    created_at {{timestamp}} NOT NULL,
    UNIQUE (challenge_id, org_id)
);

CREATE TABLE saved_searches (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL DEFAULT '',
    q TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT '',
    county TEXT NOT NULL DEFAULT '',
    source_region TEXT NOT NULL DEFAULT '',
    trl_min INTEGER NOT NULL DEFAULT 0,
    bottleneck BOOLEAN,
    created_at {{timestamp}} NOT NULL
);
CREATE INDEX saved_searches_user ON saved_searches (user_id, created_at);
CREATE INDEX saved_searches_kind ON saved_searches (kind);

-- The inbox. A saved search notifies its owner at most once per listing:
-- the unique index is the guarantee (NULLs, for other kinds, never clash).
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    deal_id TEXT,
    challenge_id TEXT,
    saved_search_id TEXT REFERENCES saved_searches (id) ON DELETE SET NULL,
    listing_kind TEXT,
    listing_id TEXT,
    read_at {{timestamp}},
    created_at {{timestamp}} NOT NULL
);
CREATE UNIQUE INDEX notifications_saved_listing ON notifications (saved_search_id, listing_id);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);
