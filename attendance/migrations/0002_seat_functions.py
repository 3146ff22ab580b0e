"""The seat door and the learner clash check, installed from attendance/sql/ (see
tms/sql_functions.py and the files themselves)."""

from django.db import migrations

from tms.sql_functions import InstallFunctions


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0001_initial"),
        ("scheduling", "0003_seat_limit_function"),
        ("notifications", "0002_enqueue_function"),
    ]

    operations = [InstallFunctions("attendance", "attendance_learner_clash", "attendance_take_seat")]
