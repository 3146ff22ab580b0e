-- A session's capacity cannot be lowered below the seats its learners hold (by any path):
-- the seats were promised; a coordinator cancels or moves registrations first. Raised as a
-- check violation named session_capacity_covers_seats_held, with the number of seats held
-- as its DETAIL, which scheduling's services turn into a message on the capacity field.
CREATE OR REPLACE FUNCTION attendance_capacity_covers_seats() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    held bigint;
BEGIN
    SELECT count(*) INTO held FROM attendance_registration r
     WHERE r.session_id = NEW.id AND r.status IN {{ SEAT_HOLDING }};
    IF NEW.capacity < held THEN
        RAISE EXCEPTION 'capacity % is below the % seats held in session %',
                        NEW.capacity, held, NEW.id
              USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'session_capacity_covers_seats_held',
                    DETAIL = held::text;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER attendance_capacity_covers_seats
BEFORE UPDATE OF capacity ON scheduling_session
FOR EACH ROW
WHEN (NEW.capacity < OLD.capacity)
EXECUTE FUNCTION attendance_capacity_covers_seats();
