-- Seals the transaction's audit rows into the hash chain, at commit.
--
-- A DEFERRABLE INITIALLY DEFERRED constraint trigger on compliance_auditentry (AFTER INSERT,
-- per row) runs this when the transaction commits. The first call of the transaction takes
-- the chain's advisory lock (held until the commit is done, so chain order is commit order and
-- writers are serialised only for their commit, not their whole transaction), reads the head
-- (the highest seq), numbers the transaction's unsealed rows in insertion order and sets each
-- one's prev_hash and hash = sha256(compliance_audit_payload(row)), in one UPDATE. Later calls
-- of the same transaction see that their row is sealed already (tms.audit_sealed_upto) and
-- return; a row inserted after the sealing (by another deferred trigger) is sealed by its own.
-- seq is UNIQUE: a sealer that read a stale head (REPEATABLE READ) fails instead of forking.
CREATE OR REPLACE FUNCTION compliance_audit_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    upto bigint := coalesce(nullif(current_setting('tms.audit_sealed_upto', true), '')::bigint, 0);
    head_seq bigint;
    head_hash text;
    entry record;
    ids bigint[] := '{}';
    seqs bigint[] := '{}';
    prevs text[] := '{}';
    hashes text[] := '{}';
BEGIN
    IF NEW.id <= upto THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({{ CHAIN_LOCK }});
    SELECT e.seq, e.hash INTO head_seq, head_hash
      FROM compliance_auditentry e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, {{ GENESIS }});
    FOR entry IN
        -- The first call is for the transaction's first row (deferred events fire in the order
        -- they were queued): its rows are at or after it, by primary key.
        SELECT * FROM compliance_auditentry e
         WHERE e.id >= NEW.id AND e.seq IS NULL AND e.txid = txid_current() ORDER BY e.id
    LOOP
        head_seq := head_seq + 1;
        entry.seq := head_seq;
        entry.prev_hash := head_hash;
        head_hash := encode(sha256(convert_to(compliance_audit_payload(to_jsonb(entry)), 'UTF8')), 'hex');
        ids := ids || entry.id;
        seqs := seqs || head_seq;
        prevs := prevs || entry.prev_hash;
        hashes := hashes || head_hash;
        upto := greatest(upto, entry.id);
    END LOOP;
    PERFORM set_config('tms.audit_sealing', 'on', true);
    UPDATE compliance_auditentry e
       SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash
      FROM unnest(ids, seqs, prevs, hashes) AS u(id, seq, prev_hash, hash)
     WHERE e.id = u.id;
    PERFORM set_config('tms.audit_sealing', '', true);
    PERFORM set_config('tms.audit_sealed_upto', upto::text, true);
    RETURN NULL;
END;
$$;
