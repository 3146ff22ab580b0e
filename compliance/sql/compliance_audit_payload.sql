-- The canonical text an audit entry's hash is taken over: sha256 of its UTF-8 bytes, in hex.
--
-- A JSON array of the entry's fields in a fixed order, as PostgreSQL's jsonb prints it (one
-- space after "," and ":", object keys by length then bytes). `entry` is to_jsonb of the row.
-- The instant is in microseconds since the epoch, so the text does not depend on the
-- session's TimeZone. prev_hash is part of it: that is the chain. The sealer
-- (compliance_audit_seal) and the verifier (manage.py verify_audit_log, which hashes this
-- text in Python) both call this function, so they cannot disagree about the form. A new
-- column of compliance_auditentry is hashed only if it is added here (at the end, leaving
-- older entries' text as it was: a field absent from an old entry prints as null).
CREATE OR REPLACE FUNCTION compliance_audit_payload(entry jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN jsonb_build_array(
        entry -> 'seq',
        entry -> 'prev_hash',
        entry -> 'table_name',
        entry -> 'object_pk',
        entry -> 'action',
        entry -> 'before',
        entry -> 'after',
        entry -> 'changed',
        (extract(epoch FROM (entry ->> 'occurred_at')::timestamptz) * 1000000)::bigint,
        entry -> 'txid',
        entry -> 'user_id',
        entry -> 'actor',
        entry -> 'request_id',
        entry -> 'client_ip',
        entry -> 'request'
    )::text;
END;
$$;
