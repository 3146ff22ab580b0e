-- scheduling_feed_changed(): leaves a change mark (scheduling_feedchange) for every schedule
-- feed that the changed rows touch, so a feed's validators (ETag, Last-Modified) are read from
-- its owner's marks in one index scan, whatever the size of the feed
-- (scheduling/calendar/feeds.py, `schedule_validators`). Statement-level triggers on every
-- table a schedule feed reads, so every path leaves its marks: the services, the admin,
-- QuerySet.update(), bulk writes, COPY and raw SQL.
--
-- The trigger's arguments say what the changed rows (old and new alike) touch, as
-- "what:column":
--   teaching:<session column>       the instructors assigned to that session
--   session_rooms:<session column>  the rooms of that session's blocks (and their sites)
--   room:<room column>              that room (and its site)
--   instructor:<instructor column>  that instructor
--   catalogue                       every feed (a course, room or site was edited: few rows,
--                                   rarely changed; one mark, owner 0, that every feed reads)
--
-- Marks are only ever inserted, never updated, so two transactions marking the same owner
-- never wait for each other: no row becomes hot, no lock order to get wrong. Each insert
-- prunes the owner's older marks that no other transaction is pruning (SKIP LOCKED), so an
-- owner keeps about one mark. Ids come from a sequence, not in commit order: a feed's ETag
-- hashes every id it finds, so a transaction committing after a newer one still changes it.
CREATE OR REPLACE FUNCTION scheduling_feed_changed() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    what text;
    col text;
    ids bigint[];
    kinds text[] := ARRAY[]::text[];
    owners bigint[] := ARRAY[]::bigint[];
    stamp timestamptz := clock_timestamp();
    i integer;
BEGIN
    -- When: now, or the changed rows' updated_at if later. The app dates its writes with the
    -- `now` it passes around (and may run on a clock ahead of the database's): a feed's
    -- Last-Modified is never before a change as the app dated it.
    IF TG_OP <> 'DELETE' THEN
        SELECT greatest(stamp, max((to_jsonb(n) ->> 'updated_at')::timestamptz))
          INTO stamp FROM new_rows n;
    END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        what := split_part(TG_ARGV[i], ':', 1);
        col := split_part(TG_ARGV[i], ':', 2);
        IF what = 'catalogue' THEN
            IF NOT EXISTS (SELECT FROM new_rows) THEN
                CONTINUE;  -- an UPDATE that changed no row
            END IF;
            kinds := kinds || {{ CATALOGUE }}::text;
            owners := owners || 0::bigint;
            CONTINUE;
        END IF;
        ids := ARRAY[]::bigint[];
        IF TG_OP <> 'DELETE' THEN
            ids := ids || ARRAY(SELECT DISTINCT (to_jsonb(n) ->> col)::bigint FROM new_rows n);
        END IF;
        IF TG_OP <> 'INSERT' THEN
            ids := ids || ARRAY(SELECT DISTINCT (to_jsonb(o) ->> col)::bigint FROM old_rows o);
        END IF;
        IF what = 'instructor' THEN
            kinds := kinds || array_fill({{ INSTRUCTOR }}::text, ARRAY[cardinality(ids)]);
            owners := owners || ids;
        ELSIF what = 'teaching' THEN
            SELECT kinds || array_agg({{ INSTRUCTOR }}::text), owners || array_agg(a.instructor_id)
              INTO kinds, owners
              FROM scheduling_instructorassignment a
             WHERE a.session_id = ANY (ids);
        ELSIF what = 'session_rooms' THEN
            SELECT array_agg(DISTINCT b.room_id) INTO ids
              FROM scheduling_sessionblock b
             WHERE b.session_id = ANY (ids) AND b.room_id IS NOT NULL;
            what := 'room';
        END IF;
        IF what = 'room' AND cardinality(ids) > 0 THEN
            kinds := kinds || array_fill({{ ROOM }}::text, ARRAY[cardinality(ids)]);
            owners := owners || ids;
            SELECT kinds || array_agg({{ SITE }}::text), owners || array_agg(r.site_id)
              INTO kinds, owners
              FROM (SELECT DISTINCT site_id FROM venues_room WHERE id = ANY (ids)) r;
        ELSIF what NOT IN ('instructor', 'teaching', 'room') THEN
            RAISE EXCEPTION 'scheduling_feed_changed: unknown argument %', TG_ARGV[i];
        END IF;
    END LOOP;

    WITH marks AS (
        SELECT DISTINCT m.kind, m.owner_id
          FROM unnest(kinds, owners) AS m(kind, owner_id)
         WHERE m.owner_id IS NOT NULL
    ), added AS (
        INSERT INTO scheduling_feedchange (kind, owner_id, changed_at)
        SELECT m.kind, m.owner_id, stamp FROM marks m ORDER BY m.kind, m.owner_id
        RETURNING id, kind, owner_id
    )
    DELETE FROM scheduling_feedchange c
     WHERE c.id IN (
        SELECT prior.id
          FROM scheduling_feedchange prior
          JOIN added ON prior.kind = added.kind AND prior.owner_id = added.owner_id
                    AND prior.id < added.id
           FOR UPDATE OF prior SKIP LOCKED);
    RETURN NULL;
END
$$;

-- One trigger per table and operation: a trigger with transition tables has one event.
CREATE OR REPLACE TRIGGER scheduling_feed_block_added AFTER INSERT ON scheduling_sessionblock
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('teaching:session_id', 'room:room_id');
CREATE OR REPLACE TRIGGER scheduling_feed_block_changed AFTER UPDATE ON scheduling_sessionblock
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('teaching:session_id', 'room:room_id');
CREATE OR REPLACE TRIGGER scheduling_feed_block_removed AFTER DELETE ON scheduling_sessionblock
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('teaching:session_id', 'room:room_id');

-- A new session has no blocks or instructors yet: theirs mark it when they come.
CREATE OR REPLACE TRIGGER scheduling_feed_session_changed AFTER UPDATE ON scheduling_session
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('teaching:id', 'session_rooms:id');
CREATE OR REPLACE TRIGGER scheduling_feed_session_removed AFTER DELETE ON scheduling_session
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('teaching:id', 'session_rooms:id');

CREATE OR REPLACE TRIGGER scheduling_feed_assignment_added
AFTER INSERT ON scheduling_instructorassignment
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('instructor:instructor_id');
CREATE OR REPLACE TRIGGER scheduling_feed_assignment_changed
AFTER UPDATE ON scheduling_instructorassignment
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('instructor:instructor_id');
CREATE OR REPLACE TRIGGER scheduling_feed_assignment_removed
AFTER DELETE ON scheduling_instructorassignment
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('instructor:instructor_id');

-- A new course, room or site is in no feed until a session or block uses it, nor a deleted
-- one (sessions and blocks protect theirs).
CREATE OR REPLACE TRIGGER scheduling_feed_course_changed AFTER UPDATE ON scheduling_course
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('catalogue');
CREATE OR REPLACE TRIGGER scheduling_feed_room_changed AFTER UPDATE ON venues_room
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('catalogue');
CREATE OR REPLACE TRIGGER scheduling_feed_site_changed AFTER UPDATE ON venues_site
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION scheduling_feed_changed('catalogue');
