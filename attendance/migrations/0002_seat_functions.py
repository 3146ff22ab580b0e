"""Seat taking in the database, in one call: the sales-rush path of registering.

`attendance_learner_clash(learner, session)` locks the learner (a transaction-level advisory
lock, namespace 7301) and returns a block of another session, overlapping this one, in which
the learner holds a seat. Everything that gives a learner a seat calls it after locking the
session, so two registrations of one learner into overlapping sessions cannot both pass.

`attendance_take_seat(...)` locks the session row, checks that the session is still as the
caller validated it (status, start, registration window), checks the learner's clash, counts
the seats held, and writes the registration (confirmed, or waitlisted with the next rank) and
its outbox message. Every statement in it sees what committed before it ran, including
seats taken while it waited for the lock. The waitlist position is counted by the caller after
commit: it grows with the queue, and the session stays locked for as short a time as possible. Rules stay in Python: the caller validates a
snapshot first and retries when the answer is "changed". Outcomes:
  taken    the registration was written (status, waitlist rank, invite version);
  changed  the session changed since the caller's snapshot: nothing written;
  clash    the learner holds an overlapping seat (clash_block): nothing written;
  missing  no such session.
`p_lock` false and `p_race_delay` exist only for the concurrency tests: the negative control
switches the lock off, and both widen the window between counting and writing.
"""

from django.db import migrations

LEARNER_CLASH = """
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
        ON theirs.session_id = r.session_id AND theirs.status = 'active'
      JOIN scheduling_sessionblock ours
        ON ours.session_id = p_session AND ours.status = 'active'
     WHERE r.learner_id = p_learner AND r.status IN ('confirmed', 'offered')
       AND r.session_id <> p_session
       AND tstzrange(theirs.starts_at, theirs.ends_at)
           && tstzrange(ours.starts_at, ours.ends_at)
     LIMIT 1;
    RETURN found_block;
END
$$;
"""

TAKE_SEAT = """
CREATE OR REPLACE FUNCTION attendance_take_seat(
    p_session bigint, p_learner bigint, p_email text, p_source text, p_enrolled_by bigint,
    p_now timestamptz, p_status text, p_starts timestamptz, p_opens timestamptz,
    p_closes timestamptz, p_messages jsonb, p_lock boolean, p_race_delay double precision
) RETURNS TABLE (
    outcome text, registration_id bigint, seat_status text, rank bigint, version integer,
    clash_block bigint
)
LANGUAGE plpgsql VOLATILE SET lock_timeout = '3s' AS $$
DECLARE
    s record;
    seat_limit integer;
    taken bigint;
    message jsonb;
BEGIN
    IF p_lock THEN
        SELECT ss.status, ss.starts_at, ss.registration_opens_at, ss.registration_closes_at,
               ss.schedule_version
          INTO s FROM scheduling_session ss WHERE ss.id = p_session FOR NO KEY UPDATE;
    ELSE
        SELECT ss.status, ss.starts_at, ss.registration_opens_at, ss.registration_closes_at,
               ss.schedule_version
          INTO s FROM scheduling_session ss WHERE ss.id = p_session;
    END IF;
    IF NOT FOUND THEN
        outcome := 'missing';
        RETURN NEXT;
        RETURN;
    END IF;
    IF s.status IS DISTINCT FROM p_status OR s.starts_at IS DISTINCT FROM p_starts
       OR s.registration_opens_at IS DISTINCT FROM p_opens
       OR s.registration_closes_at IS DISTINCT FROM p_closes THEN
        outcome := 'changed';
        RETURN NEXT;
        RETURN;
    END IF;
    clash_block := attendance_learner_clash(p_learner, p_session);
    IF clash_block IS NOT NULL THEN
        outcome := 'clash';
        RETURN NEXT;
        RETURN;
    END IF;
    seat_limit := scheduling_seat_limit(p_session);
    SELECT count(*) INTO taken FROM attendance_registration r
     WHERE r.session_id = p_session AND r.status IN ('confirmed', 'offered');
    IF p_race_delay > 0 THEN
        PERFORM pg_sleep(p_race_delay);
    END IF;
    IF taken < seat_limit THEN
        seat_status := 'confirmed';
        version := s.schedule_version;
    ELSE
        seat_status := 'waitlisted';
        rank := nextval('attendance_waitlist_rank');
        version := -1;
    END IF;
    INSERT INTO attendance_registration
        (created_at, updated_at, session_id, learner_id, status, source, waitlist_rank,
         confirmed_at, enrolled_by_id, cancellation_reason, late_cancellation, invite_version)
    VALUES (p_now, p_now, p_session, p_learner, seat_status, p_source, rank,
            CASE WHEN seat_status = 'confirmed' THEN p_now END, p_enrolled_by, '', false,
            version)
    RETURNING id INTO registration_id;
    IF p_email <> '' THEN
        -- The confirmation or "waitlisted" email; a waitlist position is worked out when the
        -- mail is sent (it can only have improved by then).
        message := p_messages -> seat_status;
        PERFORM notifications_enqueue(
            p_learner, p_email, (message ->> 'event') || registration_id, message ->> 'template',
            jsonb_build_object('registration_id', registration_id, 'version', version),
            message ->> 'rule', p_now);
    END IF;
    outcome := 'taken';
    RETURN NEXT;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0001_initial"),
        ("scheduling", "0003_seat_limit_function"),
        ("notifications", "0002_enqueue_function"),
    ]

    operations = [
        migrations.RunSQL(LEARNER_CLASH, "DROP FUNCTION attendance_learner_clash(bigint, bigint)"),
        migrations.RunSQL(
            TAKE_SEAT,
            "DROP FUNCTION attendance_take_seat(bigint, bigint, text, text, bigint, timestamptz, "
            "text, timestamptz, timestamptz, timestamptz, jsonb, boolean, double precision)",
        ),
    ]
