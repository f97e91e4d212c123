-- OpenID Connect Back-Channel Logout (issue 15): a logout token owed to a partner is a row before
-- it is a delivery, so a crash or a partner's outage loses nothing and the person's sign-out never
-- waits for the partner. Keep in step with ../sqlite/021_backchannel_logout.sql.
-- The token itself is signed at delivery (fresh iat/exp); the row holds only who and which session.
-- A row's id is derived from (client, sid) when there is a session, so the same session is
-- queued for a partner once, whichever door ended it.
-- Client secrets become SHA-256 hashes in the same release (decision 0025); rows encrypted
-- before are hashed when the portal starts (bff/oauth/secrets-at-rest.ts), since SQL cannot
-- decrypt them.
CREATE TABLE logout_outbox (
  id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  sub TEXT NOT NULL,
  sid TEXT,
  created_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  delivered_at BIGINT,
  failed_at BIGINT,
  last_error TEXT
);
-- Only undelivered rows are ever looked for.
CREATE INDEX logout_outbox_due ON logout_outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
