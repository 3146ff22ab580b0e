-- Append-only: refuses UPDATE, DELETE (BEFORE ... FOR EACH ROW) and TRUNCATE (BEFORE ... FOR
-- EACH STATEMENT) of compliance_auditentry, whoever runs them. The one update let through is
-- the sealer's (compliance_audit_seal_rows): only while it runs (tms.audit_sealing), only of a
-- row not sealed yet, and only setting seq, prev_hash and hash (a wrong hash set this way is
-- what the verifier finds).
-- Only a superuser can get past it, by switching triggers off (session_replication_role =
-- replica, or ALTER TABLE ... DISABLE TRIGGER as the table's owner): that is what the
-- verifier (manage.py verify_audit_log) is for.
CREATE OR REPLACE FUNCTION compliance_audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('tms.audit_sealing', true) = 'on'
       AND OLD.seq IS NULL
       AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       AND (to_jsonb(NEW) - ARRAY['seq', 'prev_hash', 'hash'])
           = (to_jsonb(OLD) - ARRAY['seq', 'prev_hash', 'hash'])
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
