"""`notifications_enqueue(...)`, the one statement that writes an outbox row: installed from
notifications/sql/notifications_enqueue.sql (tms/sql_functions.py)."""

from django.db import migrations

from tms.sql_functions import InstallFunctions


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [InstallFunctions("notifications", "notifications_enqueue")]
