-- The one capture trigger of the audit log (compliance/audit.py `attach` puts it on a table).
--
-- AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW EXECUTE FUNCTION
--     compliance_audit_capture('<pk column>', '<excluded column>', ...)
--
-- Writes one unsealed row per change into compliance_auditentry: the table, the object's pk,
-- the action, the row before and after (to_jsonb of OLD and NEW, less the excluded columns,
-- e.g. auth_user.password; an excluded column that changed is still named in `changed`), the
-- changed column names of an update, the time (clock_timestamp), the top-level transaction id
-- and the context the application set for this transaction with
--     set_config('tms.audit_context', '<json>', true)
-- (compliance/audit.py: user id and name or "worker:<task>" / "system:<command>", request id,
-- client address, method and path). A write without context (psql, a script) is recorded as
-- "db:<role>". The row is sealed into the hash chain at commit (compliance_audit_seal).
CREATE OR REPLACE FUNCTION compliance_audit_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ctx jsonb := nullif(current_setting('tms.audit_context', true), '')::jsonb;
    old_row jsonb;
    new_row jsonb;
    changed_columns text[];
    excluded text[] := TG_ARGV[1:];
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed_columns
          FROM jsonb_each(new_row) n
         WHERE n.value IS DISTINCT FROM old_row -> n.key;
    END IF;
    IF cardinality(excluded) > 0 THEN
        old_row := old_row - excluded;
        new_row := new_row - excluded;
    END IF;
    INSERT INTO compliance_auditentry (
        table_name, object_pk, action, before, after, changed, occurred_at, txid,
        user_id, actor, request_id, client_ip, request
    ) VALUES (
        TG_TABLE_NAME,
        coalesce(new_row, old_row) ->> TG_ARGV[0],
        lower(TG_OP),
        old_row,
        new_row,
        changed_columns,
        clock_timestamp(),
        txid_current(),
        (ctx ->> 'user_id')::bigint,
        coalesce(ctx ->> 'actor', 'db:' || session_user),
        coalesce(ctx ->> 'request_id', ''),
        coalesce(ctx ->> 'ip', ''),
        coalesce(ctx ->> 'request', '')
    );
    RETURN NULL;
END;
$$;
