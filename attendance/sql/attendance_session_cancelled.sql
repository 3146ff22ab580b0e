-- When a session is cancelled, by any path (the services, the admin, a bulk update, raw SQL),
-- its registrations are cancelled in the same transaction and every learner who had a seat
-- or a place in the line is told (an outbox row; the confirmed ones get a calendar CANCEL).
-- An any-date learner whose offer ends this way gets their place on the course's line back.
CREATE OR REPLACE FUNCTION attendance_session_cancelled() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        UPDATE attendance_registration reg
           SET status = {{ CANCELLED }},
               cancelled_at = NEW.updated_at,
               cancellation_reason = {{ REASON_SESSION_CANCELLED }} || NEW.cancellation_reason,
               offer_expires_at = NULL,
               updated_at = NEW.updated_at
          FROM attendance_registration before
         WHERE reg.id = before.id AND reg.session_id = NEW.id
           AND reg.status IN ({{ CONFIRMED }}, {{ OFFERED }}, {{ WAITLISTED }})
     RETURNING reg.id, reg.learner_id, reg.course_entry_id, before.status AS was
    LOOP
        IF r.course_entry_id IS NOT NULL THEN
            UPDATE attendance_coursewaitlistentry
               SET status = {{ ENTRY_WAITING }}, updated_at = NEW.updated_at
             WHERE id = r.course_entry_id AND status = {{ ENTRY_OFFERED }};
        END IF;
        PERFORM notifications_enqueue(
            {{ CHANNEL_EMAIL }}, u.id, u.email, format({{ EVENT_CANCELLED }}, r.id),
            'registration_cancelled',
            jsonb_build_object('registration_id', r.id,
                               'calendar_cancel', r.was = {{ CONFIRMED }},
                               'session_cancelled', true),
            {{ RULE_SESSION_CANCELLED }}, NEW.updated_at)
          FROM {{ USER_TABLE }} u
         WHERE u.id = r.learner_id AND u.email <> '';
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER attendance_session_cancelled
AFTER UPDATE OF status ON scheduling_session
FOR EACH ROW
WHEN (NEW.status = {{ SESSION_CANCELLED }} AND OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION attendance_session_cancelled();
