-- Append-only: refuses UPDATE, DELETE (BEFORE ... FOR EACH ROW) and TRUNCATE (BEFORE ... FOR
-- EACH STATEMENT) of compliance_auditentry, whoever runs them; and an INSERT that does not come
-- from a trigger (the capture function writes at trigger depth 2 here), so nobody adds an
-- entry of their own for the sealer to chain as if the database had recorded it. The one update let through is
-- the sealer's (compliance_audit_seal_rows): only while it runs (tms.audit_sealing), only of a
-- row not sealed yet, and only setting seq, prev_hash and hash (a wrong hash set this way is
-- what the verifier finds).
-- Only a superuser can get past it, by switching triggers off (session_replication_role =
-- replica, or ALTER TABLE ... DISABLE TRIGGER as the table's owner): that is what the
-- verifier (manage.py verify_audit_log) is for.
CREATE OR REPLACE FUNCTION compliance_audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF pg_trigger_depth() > 1 AND NEW.seq IS NULL AND NEW.hash IS NULL THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the audit log is written by the database only: INSERT refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE'
       AND current_setting('tms.audit_sealing', true) = 'on'
       AND OLD.seq IS NULL
       AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       -- Every other column as it was (a column added to the table must be added here too).
       AND ROW(NEW.id, NEW.table_name, NEW.object_pk, NEW.action, NEW.before, NEW.after,
               NEW.changed, NEW.occurred_at, NEW.txid, NEW.user_id, NEW.actor,
               NEW.request_id, NEW.client_ip, NEW.request)
           IS NOT DISTINCT FROM
           ROW(OLD.id, OLD.table_name, OLD.object_pk, OLD.action, OLD.before, OLD.after,
               OLD.changed, OLD.occurred_at, OLD.txid, OLD.user_id, OLD.actor,
               OLD.request_id, OLD.client_ip, OLD.request)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
