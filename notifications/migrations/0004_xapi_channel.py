"""The outbox's xAPI channel: statements PUT to the configured LRS, and an index that finds a
session's xAPI rows by event-key prefix (what the LRS has been told)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_outbox_channels")]

    operations = [
        migrations.AlterField(
            model_name="outboxmessage",
            name="channel",
            field=models.CharField(
                choices=[("email", "Email"), ("xapi", "xAPI statement")], max_length=16
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("channel", "xapi")),
                fields=["event_key"],
                name="outbox_xapi_by_event",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
    ]
