-- Most rows have no uid or user_code (tokens, codes): index only the rows that do,
-- so each token write maintains two fewer index entries.
DROP INDEX oidc_payloads_uid;
DROP INDEX oidc_payloads_user_code;
CREATE INDEX oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_payloads_user_code ON oidc_payloads (model, user_code) WHERE user_code IS NOT NULL;
