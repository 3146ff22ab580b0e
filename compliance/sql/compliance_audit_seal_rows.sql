-- Seals unsealed audit rows into the hash chain: every one this transaction can see (its own,
-- and those of transactions that committed without sealing), in insertion (id) order.
--
-- Under the chain's advisory lock (held to the end of the transaction, so the next sealer
-- reads this one's head only once it is committed): reads the head (highest seq), numbers the
-- rows, sets each one's prev_hash and hash = sha256(compliance_audit_payload(row)) in one
-- UPDATE. `wait` false: give up at once (returns -1) if another sealer holds the lock: a
-- committing writer never queues behind another's commit (their rows are sealed by the next
-- sealer: the next committing writer that gets the lock, the worker's sweep, audit_head()).
-- seq is UNIQUE: a sealer that read a stale head (REPEATABLE READ) fails instead of forking.
-- Returns how many rows it sealed.
CREATE OR REPLACE FUNCTION compliance_audit_seal_rows(wait boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    entry record;
    ids bigint[] := '{}';
    seqs bigint[] := '{}';
    prevs text[] := '{}';
    hashes text[] := '{}';
BEGIN
    IF wait THEN
        PERFORM pg_advisory_xact_lock({{ CHAIN_LOCK }});
    ELSIF NOT pg_try_advisory_xact_lock({{ CHAIN_LOCK }}) THEN
        RETURN -1;
    END IF;
    SELECT e.seq, e.hash INTO head_seq, head_hash
      FROM compliance_auditentry e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, {{ GENESIS }});
    FOR entry IN
        SELECT * FROM compliance_auditentry e WHERE e.seq IS NULL ORDER BY e.id
    LOOP
        head_seq := head_seq + 1;
        entry.seq := head_seq;
        entry.prev_hash := head_hash;
        head_hash := encode(sha256(convert_to(compliance_audit_payload(to_jsonb(entry)), 'UTF8')), 'hex');
        ids := ids || entry.id;
        seqs := seqs || head_seq;
        prevs := prevs || entry.prev_hash;
        hashes := hashes || head_hash;
    END LOOP;
    IF cardinality(ids) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM set_config('tms.audit_sealing', 'on', true);
    UPDATE compliance_auditentry e
       SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash
      FROM unnest(ids, seqs, prevs, hashes) AS u(id, seq, prev_hash, hash)
     WHERE e.id = u.id;
    PERFORM set_config('tms.audit_sealing', '', true);
    RETURN cardinality(ids);
END;
$$;
