-- Organizations, users, invitations and refresh-token families.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    uscc TEXT,
    county TEXT NOT NULL DEFAULT '',
    source_region TEXT NOT NULL DEFAULT '',
    verified_at {{timestamp}},
    created_at {{timestamp}} NOT NULL
);
CREATE UNIQUE INDEX organizations_uscc ON organizations (uscc) WHERE uscc IS NOT NULL;

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    org_owner BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash TEXT NOT NULL,
    created_at {{timestamp}} NOT NULL
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE invitations (
    code_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    expires_at {{timestamp}} NOT NULL,
    used_at {{timestamp}},
    used_by TEXT
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {{timestamp}} NOT NULL,
    expires_at {{timestamp}} NOT NULL,
    rotated_at {{timestamp}},
    revoked_at {{timestamp}}
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
