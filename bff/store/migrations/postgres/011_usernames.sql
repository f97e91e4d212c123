-- An optional operator username (seed 002, SaG: "Operator Username"), signing in like the email.
-- Stored lower-cased, so the unique index makes it unique without regard to case. Usernames
-- never contain '@', so a sign-in name is an email or a username, never both.
ALTER TABLE users ADD COLUMN username TEXT;
CREATE UNIQUE INDEX users_username ON users (username);
