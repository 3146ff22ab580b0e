-- attendance_queue(session): who waits for a seat in this session, first in line first.
--
-- The session's own waitlist and the course's "any date" waitlist, merged by rank (one
-- sequence hands out ranks to both, in the order learners joined). An any-date learner who
-- already has a registration in this session (an offer, a seat, a place of their own, or one
-- that ended) is not in this session's line. This is the only definition of the line: the
-- seat door asks it whether anyone waits, promotion walks it, positions count it.
-- SQL rather than PL/pgSQL so that PostgreSQL inlines it into the query that calls it.
CREATE OR REPLACE FUNCTION attendance_queue(p_session bigint)
RETURNS TABLE (rank bigint, registration_id bigint, entry_id bigint, learner_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT r.waitlist_rank, r.id, NULL::bigint, r.learner_id
      FROM attendance_registration r
     WHERE r.session_id = p_session AND r.status = {{ WAITLISTED }}
    UNION ALL
    SELECT e.waitlist_rank, NULL::bigint, e.id, e.learner_id
      FROM attendance_coursewaitlistentry e
      JOIN scheduling_session s ON s.id = p_session AND s.course_id = e.course_id
     WHERE e.status = {{ ENTRY_WAITING }}
       AND NOT EXISTS (SELECT 1 FROM attendance_registration known
                        WHERE known.session_id = p_session AND known.learner_id = e.learner_id)
$$;
