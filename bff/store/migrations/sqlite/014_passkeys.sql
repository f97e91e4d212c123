-- Passkeys (WebAuthn credentials) and the challenges that register or use them (issue 10).
-- A credential keeps only its public key (COSE, base64url) and the signature counter last seen;
-- a challenge is single use (consumed_at) and short-lived (expires_at), bound to the user it was
-- made for or to the sign-in interaction that asked. Keep in step with ../postgres/014_passkeys.sql.
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  sign_count INTEGER NOT NULL DEFAULT 0,
  transports TEXT NOT NULL DEFAULT '[]',
  device_type TEXT NOT NULL,
  backed_up INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE webauthn_challenges (
  challenge TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  user_id TEXT,
  interaction_uid TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
