-- attendance_free_seats(session): seats not held by anyone, the one count of free seats.
--
-- The seat limit (scheduling_seat_limit) less the registrations that hold a seat: the
-- statuses in SEAT_HOLDING (attendance.models), confirmed and offered. Outcomes of attending
-- (attendance per block, completion) are other records and never free a seat. Read it with
-- the session locked for a count that stays true until commit.
CREATE OR REPLACE FUNCTION attendance_free_seats(p_session bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN scheduling_seat_limit(p_session) - (
        SELECT count(*) FROM attendance_registration r
         WHERE r.session_id = p_session AND r.status IN {{ SEAT_HOLDING }});
END
$$;
