"""The outbox gets channels: every row says how it goes out (email today) and where (an
address), unique per (channel, address, event). Columns the enqueue function does not name
take database defaults. `notifications_enqueue` takes the channel and says whether it wrote."""

from django.db import migrations, models

from tms.sql_functions import InstallFunctions

STATUSES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("bounced", "Bounced"),
    ("skipped", "Not sent (no longer true)"),
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_enqueue_function")]

    operations = [
        migrations.RunSQL(
            "DROP FUNCTION IF EXISTS "
            "notifications_enqueue(bigint, text, text, text, jsonb, text, timestamptz)",
            migrations.RunSQL.noop,
        ),
        migrations.RemoveConstraint(
            model_name="outboxmessage", name="one_message_per_recipient_and_event"
        ),
        migrations.RenameField(model_name="outboxmessage", old_name="to_email", new_name="address"),
        migrations.AlterField(
            model_name="outboxmessage", name="address", field=models.CharField(max_length=320)
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="channel",
            field=models.CharField(
                choices=[("email", "Email")], default="email", max_length=16
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="status",
            field=models.CharField(
                choices=STATUSES, db_default="queued", default="queued", max_length=16
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="attempts",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="last_error",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="subject",
            field=models.CharField(blank=True, db_default="", default="", max_length=300),
        ),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.UniqueConstraint(
                fields=("channel", "address", "event_key"),
                name="one_message_per_channel_address_and_event",
            ),
        ),
        InstallFunctions("notifications", "notifications_enqueue"),
    ]
