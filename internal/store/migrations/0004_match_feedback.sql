-- Judgments of need–result matches by the need's owner or a broker.
CREATE TABLE match_feedback (
    id TEXT PRIMARY KEY,
    need_id TEXT NOT NULL REFERENCES needs (id) ON DELETE CASCADE,
    result_id TEXT NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    useful BOOLEAN NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at {{timestamp}} NOT NULL
);
CREATE INDEX match_feedback_need ON match_feedback (need_id, result_id);
