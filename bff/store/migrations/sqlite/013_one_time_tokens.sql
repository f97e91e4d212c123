-- One-time links and codes sent by mail (password reset, email verification, sign-in codes,
-- invitations). Only hashes are stored: `id` is the SHA-256 of the link's secret, `code_hash`
-- that of a 6-digit code. Keep in step with ../postgres/013_one_time_tokens.sql.
CREATE TABLE one_time_tokens (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  user_id TEXT,
  email TEXT NOT NULL,
  code_hash TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
