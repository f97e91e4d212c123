-- The gateway's remote API routes (issue 18): browser calls below `path` are forwarded to
-- `upstream` with an access token for `resource` and `scopes` (a JSON array). Every instance
-- reads them from here, so a route added on one is served by all.
CREATE TABLE api_routes (
  path TEXT PRIMARY KEY,
  upstream TEXT NOT NULL,
  resource TEXT,
  scopes TEXT NOT NULL,
  require_role TEXT,
  anonymous INTEGER NOT NULL DEFAULT 0,
  allow_redirects INTEGER NOT NULL DEFAULT 0,
  max_body_bytes INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
