-- attendance_queue_position(session, rank): the 1-based place of the rank in the session's
-- line (attendance_queue): everyone ahead, any-date learners included, plus one.
-- PL/pgSQL so that its plan (with attendance_queue inlined) is cached per connection: the
-- registration path asks it after every waitlisted registration.
CREATE OR REPLACE FUNCTION attendance_queue_position(p_session bigint, p_rank bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*) FROM attendance_queue(p_session) q WHERE q.rank <= p_rank);
END
$$;
