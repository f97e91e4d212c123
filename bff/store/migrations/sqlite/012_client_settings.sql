-- Per-client settings for partners written to other providers' documents (seed 004, The Trading
-- Parrot): the scope an authorization request gets when it names none, the access-token lifetime
-- (NULL: the ACCESS_TOKEN_TTL default), and the weaker legacy refresh at GET /oauth?=token (off).
ALTER TABLE clients ADD COLUMN default_scope TEXT;
ALTER TABLE clients ADD COLUMN access_token_ttl INTEGER;
ALTER TABLE clients ADD COLUMN legacy_refresh INTEGER NOT NULL DEFAULT 0;
