-- attendance_learner_clash(learner, session): a block of another session, overlapping this
-- one, in which the learner holds a seat (NULL if none).
--
-- Locks the learner until the transaction ends (a transaction-level advisory lock, namespace
-- 7301), so that two seats for one learner in overlapping sessions cannot be given at once.
-- Called by the seat door with the session lock held: sessions first, then learners.
CREATE OR REPLACE FUNCTION attendance_learner_clash(p_learner bigint, p_session bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    found_block bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7301, (p_learner % 2147483647)::integer);
    SELECT theirs.id INTO found_block
      FROM attendance_registration r
      JOIN scheduling_sessionblock theirs
        ON theirs.session_id = r.session_id AND theirs.status = {{ BLOCK_ACTIVE }}
      JOIN scheduling_sessionblock ours
        ON ours.session_id = p_session AND ours.status = {{ BLOCK_ACTIVE }}
     WHERE r.learner_id = p_learner AND r.status IN {{ SEAT_HOLDING }}
       AND r.session_id <> p_session
       AND tstzrange(theirs.starts_at, theirs.ends_at)
           && tstzrange(ours.starts_at, ours.ends_at)
     LIMIT 1;
    RETURN found_block;
END
$$;
