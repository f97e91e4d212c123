-- Impersonation sessions: who, whom, why, for how long, and how it ended.
CREATE TABLE impersonations (
  id TEXT PRIMARY KEY,
  admin_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER,
  end_reason TEXT,
  grant_id TEXT,
  admin_session_id TEXT,
  session_id TEXT
);
CREATE INDEX impersonations_grant ON impersonations (grant_id);
CREATE INDEX impersonations_open ON impersonations (expires_at) WHERE ended_at IS NULL;
CREATE INDEX impersonations_target ON impersonations (target_id);
