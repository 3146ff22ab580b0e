"""The append-only guard also refuses an INSERT into the audit log that no trigger made: only
the capture function (compliance/sql/compliance_audit_capture.sql) writes entries."""

from django.db import migrations

from tms.sql_functions import InstallFunctions

TRIGGER = """
CREATE TRIGGER compliance_audit_guard_insert BEFORE INSERT ON compliance_auditentry
    FOR EACH ROW EXECUTE FUNCTION compliance_audit_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_exports")]

    operations = [
        InstallFunctions("compliance", "compliance_audit_guard"),
        migrations.RunSQL(
            TRIGGER, "DROP TRIGGER IF EXISTS compliance_audit_guard_insert ON compliance_auditentry"
        ),
    ]
