-- Short-lived values kept in settings (WorkOS pending authentication tokens, MFA challenges,
-- magic-auth code pointers) say when they lapse, so the periodic sweep can delete them; NULL is
-- a value that lives until it is changed (the setup token, the issuer's keys).
ALTER TABLE settings ADD COLUMN expires_at BIGINT;
CREATE INDEX settings_expires_at ON settings (expires_at) WHERE expires_at IS NOT NULL;
