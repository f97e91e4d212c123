-- The admin console (issue 11). Keep in step with ../sqlite/017_console.sql: only type syntax may differ.

-- An invitation an administrator took back: it can no longer be accepted, and the console shows it as revoked.
ALTER TABLE invitations ADD COLUMN revoked_at BIGINT;

-- The activity dashboard counts a few kinds per hour over a week: (kind, at) answers that
-- from the index alone, however long the log grows.
CREATE INDEX audit_log_kind_at ON audit_log (kind, at);
