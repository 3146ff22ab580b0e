"""`notifications_enqueue(...)`: the one statement that writes an outbox row.

`notifications.services.messages_enqueue` calls it from Python; SQL that changes state and
must queue its message in the same statement (attendance's seat taking) calls it there. A
second message for the same (recipient, event) vanishes: the unique constraint decides.
PL/pgSQL, so that its plan is cached per connection.
"""

from django.db import migrations

ENQUEUE = """
CREATE OR REPLACE FUNCTION notifications_enqueue(
    p_recipient bigint, p_to_email text, p_event_key text, p_template text, p_context jsonb,
    p_rule text, p_now timestamptz
) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO notifications_outboxmessage
        (created_at, updated_at, recipient_id, to_email, event_key, template, context, rule,
         status, attempts, available_at, last_error, subject)
    VALUES (p_now, p_now, p_recipient, p_to_email, p_event_key, p_template, p_context, p_rule,
            'queued', 0, p_now, '', '')
    ON CONFLICT (to_email, event_key) DO NOTHING;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.RunSQL(
            ENQUEUE,
            "DROP FUNCTION notifications_enqueue(bigint, text, text, text, jsonb, text, timestamptz)",
        ),
    ]
