-- One stamp that moves with every change to the clients table, whoever makes it (the app, the
-- CLI, a hand-written UPDATE): an instance that caches client records reads this one small row
-- instead of the client's own and decrypting its secret, and drops its copies when the stamp has
-- moved (bff/oauth/client-cache.ts, decision 0021). The bump runs in the writer's transaction,
-- so a reader never sees the new stamp before the change it stands for.
CREATE TABLE clients_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO clients_version (id, version) VALUES (1, 0);
CREATE FUNCTION clients_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE clients_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER clients_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients
  FOR EACH STATEMENT EXECUTE FUNCTION clients_version_bump();
