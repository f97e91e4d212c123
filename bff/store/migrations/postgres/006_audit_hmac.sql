-- Audit entries are HMACs under an AUDIT_KEYS key (bff/audit/audit.ts); key_id names it.
-- NULL marks an entry written before the keys existed (a plain SHA-256 hash), which
-- the app re-keys once at start after its chain verifies (bff/audit/verify.ts).
ALTER TABLE audit_log ADD COLUMN key_id INTEGER;
