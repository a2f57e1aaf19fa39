-- Login failures, shared by every replica so the throttle limits hold for
-- the whole service. Rows older than a day are pruned.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at {{timestamp}} NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
