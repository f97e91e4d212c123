-- Refresh attempts: before the BFF spends a refresh token it records a random attempt id, and
-- clears it when the rotated tokens are stored. An id still set when the next refresher comes
-- means the last attempt died in between, so the stored token may already be spent.
ALTER TABLE bff_sessions ADD COLUMN refresh_attempt TEXT;

-- Grants and provider sessions by account (a password change revokes them). Partial, so token
-- writes, the bulk of this table, maintain no extra index entry.
CREATE INDEX oidc_payloads_grant_account ON oidc_payloads (((payload::jsonb) ->> 'accountId')) WHERE model = 'Grant';
CREATE INDEX oidc_payloads_session_account ON oidc_payloads (((payload::jsonb) ->> 'accountId')) WHERE model = 'Session';
