-- An initial password an administrator set (issue 11): the person must choose their own at their
-- first sign-in before it completes. Any new password clears it. Keep in step with
-- ../postgres/022_must_change_password.sql: only type syntax may differ.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
