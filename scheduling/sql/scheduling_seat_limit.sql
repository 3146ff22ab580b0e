-- scheduling_seat_limit(session): the one definition of how many seats a session has.
--
-- The smallest of the session's own capacity, the capacity of the rooms its active blocks
-- use, and its host account's participant limit. attendance's seat door calls it under the
-- session lock; scheduling.selectors.effective_capacity explains it on pages (which limit
-- binds) and a test holds the two to the same answer. PL/pgSQL rather than SQL: its plan is
-- cached per connection. VOLATILE: each call sees what committed before it, also inside a
-- statement that waited for a lock.
CREATE OR REPLACE FUNCTION scheduling_seat_limit(p_session bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (SELECT least(
        s.capacity,
        (SELECT min(room.capacity) FROM scheduling_sessionblock b
           JOIN venues_room room ON room.id = b.room_id
          WHERE b.session_id = s.id AND b.status = {{ BLOCK_ACTIVE }}),
        (SELECT h.participant_limit FROM venues_hostaccount h WHERE h.id = s.host_account_id))
      FROM scheduling_session s
     WHERE s.id = p_session);
END
$$;
