-- The mail outbox: a message is a row before it is a delivery, so a crash or a
-- mail-server outage loses nothing. Keep in step with ../postgres/010_mail.sql.
-- Bodies are sealed with DATA_ENCRYPTION_KEYS (they carry one-time links) and
-- cleared once the message is sent.
CREATE TABLE mail_outbox (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  to_address TEXT NOT NULL,
  to_name TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  sent_at INTEGER,
  failed_at INTEGER,
  last_error TEXT
);
-- Only undelivered rows are ever looked for.
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
