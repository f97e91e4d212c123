-- Second factors (bff/mfa). The TOTP secret is sealed with DATA_ENCRYPTION_KEYS (never in clear);
-- last_step is the newest RFC 6238 time step a code was accepted for, so a code is never accepted
-- twice (replay inside its window). Recovery codes are stored as SHA-256 hashes, each used once.
-- Keep in step with ../postgres/015_mfa.sql.
CREATE TABLE mfa_totp (
  user_id TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_step INTEGER NOT NULL DEFAULT 0,
  last_used_at INTEGER
);
CREATE TABLE mfa_recovery_codes (
  user_id TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (user_id, code_hash)
);
