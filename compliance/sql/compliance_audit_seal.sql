-- Seals the transaction's audit rows into the hash chain as it commits, if it can at once.
--
-- A DEFERRABLE INITIALLY DEFERRED constraint trigger on compliance_auditentry (AFTER INSERT,
-- per row) runs this at commit. The first call of the transaction tries the chain's lock
-- (compliance_audit_seal_rows(false)): got it, it seals this transaction's rows and any
-- committed ones still waiting; another commit is sealing, it leaves its rows for the next
-- sealer instead of waiting (holding the lock to the end of its commit, a sealer would make
-- every writer queue behind each other's WAL flush). Later calls of the same transaction
-- return at once (tms.audit_seal_tried); a row inserted after that (by another deferred
-- trigger) waits for the next sealer too.
CREATE OR REPLACE FUNCTION compliance_audit_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tms.audit_seal_tried', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('tms.audit_seal_tried', 'on', true);
    PERFORM compliance_audit_seal_rows(false);
    RETURN NULL;
END;
$$;
