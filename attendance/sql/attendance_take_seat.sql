-- attendance_take_seat(...): the only door to a seat. Every path that gives a learner a seat
-- or a place in the line comes through here: registering, enrolling (one or in bulk),
-- promotion from the line (the session's or the course's any-date line), accepting an offer.
--
-- It locks the session row (every seat change of a session is serialised behind it), checks
-- the learner's clash with their other seats under a learner lock (attendance_learner_clash),
-- decides from attendance_free_seats and attendance_queue, writes the registration and queues
-- its message (notifications_enqueue), in the caller's transaction: one round trip. The rules
-- a caller checks before (visibility, window, prerequisites, promotion cut-off) stay in
-- Python; the caller passes what it read, and the door refuses ("changed") when the session
-- no longer matches.
--
-- What is asked, by the arguments:
--   p_registration NULL, p_entry NULL   a newcomer registers: a free seat if one is free and
--                                       nobody else waits for this session, else a place at
--                                       the end of the line (first come, first served);
--   p_entry = an any-date entry         promotion of that any-date learner into this session;
--   p_registration = a waitlisted one   promotion of that learner from the session's line;
--   p_registration = an offered one     the learner accepts the offered seat (already held).
-- A promotion confirms the seat, or offers it until p_offer_until when that is set.
-- p_status, p_starts, p_opens, p_closes: the session as the caller read it (NULL p_status:
-- no comparison, the caller holds the session lock). p_messages: per resulting status, the
-- message to queue: {"confirmed": {"event": "<format() pattern>", "template": ..., "rule":
-- ...}, ...}; none is queued for a status it does not name, or when p_email is empty.
--
-- Outcomes (nothing is written unless the outcome is taken or queued):
--   taken    written: seat_status is confirmed, offered or (a full session) waitlisted;
--   queued   a newcomer was put in the line although a seat is free, because others wait
--            for it first: the caller runs promotion now, which serves the line in order;
--   full     a promotion found no free seat;
--   clash    the learner holds a seat in an overlapping block (clash_block);
--   changed  the session is not as the caller read it;
--   gone     the registration is no longer waitlisted or offered (or not this learner's);
--   expired  the offer's deadline has passed;
--   missing  no such session.
CREATE OR REPLACE FUNCTION attendance_take_seat(
    p_session bigint, p_learner bigint, p_registration bigint, p_entry bigint,
    p_offer_until timestamptz, p_source text, p_enrolled_by bigint, p_email text,
    p_now timestamptz, p_status text, p_starts timestamptz, p_opens timestamptz,
    p_closes timestamptz, p_messages jsonb
) RETURNS TABLE (
    outcome text, registration_id bigint, seat_status text, rank bigint, version integer,
    clash_block bigint
)
LANGUAGE plpgsql VOLATILE SET lock_timeout = '3s' AS $$
DECLARE
    s record;
    held_status text;      -- the registration's status when one is given, else NULL
    held_until timestamptz;
    free integer;
    message jsonb;
BEGIN
    SELECT ss.status, ss.starts_at, ss.registration_opens_at, ss.registration_closes_at,
           ss.schedule_version
      INTO s FROM scheduling_session ss WHERE ss.id = p_session FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        outcome := 'missing';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_status IS NOT NULL AND (
           s.status IS DISTINCT FROM p_status OR s.starts_at IS DISTINCT FROM p_starts
        OR s.registration_opens_at IS DISTINCT FROM p_opens
        OR s.registration_closes_at IS DISTINCT FROM p_closes) THEN
        outcome := 'changed';
        RETURN NEXT;
        RETURN;
    END IF;

    IF p_registration IS NOT NULL THEN
        SELECT r.status, r.offer_expires_at, r.waitlist_rank
          INTO held_status, held_until, rank
          FROM attendance_registration r
         WHERE r.id = p_registration AND r.session_id = p_session AND r.learner_id = p_learner;
        IF held_status IS NULL OR held_status NOT IN ({{ WAITLISTED }}, {{ OFFERED }}) THEN
            outcome := 'gone';
            rank := NULL;
            RETURN NEXT;
            RETURN;
        END IF;
        registration_id := p_registration;
    END IF;

    IF held_status = {{ OFFERED }} THEN
        -- Accepting: the offered seat is held already; it only becomes the learner's.
        IF held_until <= p_now THEN
            outcome := 'expired';
            RETURN NEXT;
            RETURN;
        END IF;
        seat_status := {{ CONFIRMED }};
    ELSE
        clash_block := attendance_learner_clash(p_learner, p_session);
        IF clash_block IS NOT NULL THEN
            outcome := 'clash';
            RETURN NEXT;
            RETURN;
        END IF;
        free := attendance_free_seats(p_session);
        IF held_status IS NOT NULL OR p_entry IS NOT NULL THEN
            -- Promotion: the caller walks the line in order and asks for the next one.
            IF free <= 0 THEN
                outcome := 'full';
                RETURN NEXT;
                RETURN;
            END IF;
            seat_status := CASE WHEN p_offer_until IS NULL THEN {{ CONFIRMED }}
                                ELSE {{ OFFERED }} END;
        ELSIF free > 0 AND NOT EXISTS (
                SELECT 1 FROM attendance_queue(p_session) q WHERE q.learner_id <> p_learner) THEN
            seat_status := {{ CONFIRMED }};
        ELSE
            -- Full, or free seats that others are waiting for: the end of the line.
            seat_status := {{ WAITLISTED }};
            rank := nextval('attendance_waitlist_rank');
        END IF;
    END IF;

    outcome := CASE WHEN seat_status = {{ WAITLISTED }} AND free > 0 THEN 'queued'
                    ELSE 'taken' END;
    version := CASE WHEN seat_status = {{ CONFIRMED }} THEN s.schedule_version ELSE -1 END;
    IF p_registration IS NOT NULL THEN
        UPDATE attendance_registration
           SET status = seat_status,
               offer_expires_at = CASE WHEN seat_status = {{ OFFERED }} THEN p_offer_until END,
               confirmed_at = CASE WHEN seat_status = {{ CONFIRMED }} THEN p_now END,
               invite_version = version,
               updated_at = p_now
         WHERE id = p_registration;
    ELSE
        INSERT INTO attendance_registration
            (created_at, updated_at, session_id, learner_id, status, source, waitlist_rank,
             offer_expires_at, confirmed_at, enrolled_by_id, course_entry_id,
             cancellation_reason, late_cancellation, invite_version)
        VALUES (p_now, p_now, p_session, p_learner, seat_status, p_source, rank,
                CASE WHEN seat_status = {{ OFFERED }} THEN p_offer_until END,
                CASE WHEN seat_status = {{ CONFIRMED }} THEN p_now END,
                p_enrolled_by, p_entry, '', false, version)
        RETURNING id INTO registration_id;
    END IF;

    message := p_messages -> seat_status;
    IF p_email <> '' AND message IS NOT NULL THEN
        -- Facts of the moment; a waitlist position is worked out when the mail is sent (it
        -- can only have improved by then).
        PERFORM notifications_enqueue(
            {{ CHANNEL_EMAIL }}, p_learner, p_email,
            format(message ->> 'event', registration_id), message ->> 'template',
            jsonb_strip_nulls(jsonb_build_object(
                'registration_id', registration_id, 'version', version,
                'deadline', CASE WHEN seat_status = {{ OFFERED }} THEN p_offer_until END)),
            message ->> 'rule', p_now);
    END IF;
    RETURN NEXT;
END
$$;
