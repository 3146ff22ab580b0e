-- notifications_enqueue(...): the one statement that writes an outbox row.
--
-- notifications.services.messages_enqueue calls it from Python; SQL that changes state and
-- must queue its message in the same transaction (attendance's seat taking) calls it there.
-- A second message for the same (channel, address, event key) vanishes: the unique
-- constraint decides. Returns true when a row was written. Columns not named here (status,
-- attempts, subject, last_error) take their database defaults (notifications.models).
CREATE OR REPLACE FUNCTION notifications_enqueue(
    p_channel text, p_recipient bigint, p_address text, p_event_key text, p_template text,
    p_context jsonb, p_rule text, p_now timestamptz
) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO notifications_outboxmessage
        (created_at, updated_at, available_at, channel, recipient_id, address, event_key,
         template, context, rule)
    VALUES (p_now, p_now, p_now, p_channel, p_recipient, p_address, p_event_key,
            p_template, p_context, p_rule)
    ON CONFLICT (channel, address, event_key) DO NOTHING;
    RETURN FOUND;
END
$$;
