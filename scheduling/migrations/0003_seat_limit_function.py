"""`scheduling_seat_limit(session)`, the one definition of how many seats a session has:
installed from scheduling/sql/scheduling_seat_limit.sql (tms/sql_functions.py)."""

from django.db import migrations

from tms.sql_functions import InstallFunctions


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_registration_policy_and_schedule_version"),
        ("venues", "0001_initial"),
    ]

    operations = [InstallFunctions("scheduling", "scheduling_seat_limit")]
