"""`scheduling_seat_limit(session)`: the one definition of how many seats a session has.

The smallest of the session's own capacity, the capacity of the rooms its active blocks use,
and its host account's participant limit. Seat-taking SQL (attendance) and the ORM lock path
both call it; `scheduling.selectors.effective_capacity` explains it on pages (which limit binds)
and a test holds the two to the same answer. PL/pgSQL rather than SQL: its plan is cached per
connection, where an SQL function called from another function is planned on every call.
VOLATILE: each call sees what committed before it, also inside a statement that waited for a
lock.
"""

from django.db import migrations

SEAT_LIMIT = """
CREATE OR REPLACE FUNCTION scheduling_seat_limit(p_session bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (SELECT least(
        s.capacity,
        (SELECT min(room.capacity) FROM scheduling_sessionblock b
           JOIN venues_room room ON room.id = b.room_id
          WHERE b.session_id = s.id AND b.status = 'active'),
        (SELECT h.participant_limit FROM venues_hostaccount h WHERE h.id = s.host_account_id))
      FROM scheduling_session s
     WHERE s.id = p_session);
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_registration_policy_and_schedule_version"),
        ("venues", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(SEAT_LIMIT, "DROP FUNCTION scheduling_seat_limit(bigint)"),
    ]
