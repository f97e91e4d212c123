-- Partners beyond the browser (issue 15): what a client may do beyond the authorization code
-- flow, as a JSON object of the portal's optional client settings (machine: client_credentials
-- only; jwks / jwksUri: private_key_jwt; requireDpop, requirePar), so each new flag needs no column.
ALTER TABLE clients ADD COLUMN options TEXT NOT NULL DEFAULT '{}';

-- API resources (RFC 8707) machine clients get audience-restricted access tokens for, each with
-- its own scopes (a JSON array).
CREATE TABLE api_resources (
  identifier TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
