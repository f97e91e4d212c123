-- The admin console's user list pages by keyset (issue 11): each sort order has an index whose
-- order is the list's order, so a page is an index range scan, never a sort of every user.
-- "Last sign-in" puts people who never signed in last, as 0.
DROP INDEX users_created_at;
CREATE INDEX users_created_id ON users (created_at, id);
CREATE INDEX users_last_sign_in_id ON users ((COALESCE(last_sign_in_at, 0)), id);
