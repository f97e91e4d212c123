-- Federation: upstream OpenID Connect connections, the email domains that route
-- to them, and the upstream identities linked to portal users.
-- Keep in step with ../sqlite/003_federation.sql: only type syntax may differ.

CREATE TABLE federation_connections (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- lower(name): names are unique whatever their case (they appear in acr and Zenith's Provider).
  name_key TEXT NOT NULL UNIQUE,
  issuer TEXT NOT NULL,
  client_id TEXT NOT NULL,
  -- Encrypted at rest (federation/crypto.ts), never returned by the admin API.
  client_secret TEXT NOT NULL,
  scopes TEXT NOT NULL,
  org_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One domain routes to one connection (home-realm discovery).
CREATE TABLE federation_domains (
  domain TEXT PRIMARY KEY,
  connection_id TEXT NOT NULL
);
CREATE INDEX federation_domains_connection_id ON federation_domains (connection_id);

-- linked_at NULL: a pending link, waiting for the user to prove the account with its password.
CREATE TABLE federated_identities (
  connection_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL,
  email TEXT,
  tokens TEXT,
  tokens_expires_at BIGINT,
  version INTEGER NOT NULL,
  refresh_lock_until BIGINT,
  linked_at BIGINT,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  PRIMARY KEY (connection_id, subject)
);
CREATE INDEX federated_identities_user_id ON federated_identities (user_id);
