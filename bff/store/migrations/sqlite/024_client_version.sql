-- One stamp that moves with every change to the clients table, whoever makes it (the app, the
-- CLI in another process, a hand-written UPDATE): an instance that caches client records reads
-- this one small row instead of the client's own and decrypting its secret, and drops its copies
-- when the stamp has moved (bff/oauth/client-cache.ts, decision 0021).
CREATE TABLE clients_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO clients_version (id, version) VALUES (1, 0);
CREATE TRIGGER clients_version_insert AFTER INSERT ON clients
BEGIN
  UPDATE clients_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER clients_version_update AFTER UPDATE ON clients
BEGIN
  UPDATE clients_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER clients_version_delete AFTER DELETE ON clients
BEGIN
  UPDATE clients_version SET version = version + 1 WHERE id = 1;
END;
