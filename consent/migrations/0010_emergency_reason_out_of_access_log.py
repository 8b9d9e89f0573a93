"""The emergency physician's reason leaves the access log.

It is free clinical text ("coma diabétique…"), and the access log outlives a
record's erasure (append-only): the reason now stays in ``EmergencyAccess``,
which is erased with the record, and the log row names the grant by id. Old
rows ``emergency: <reason>`` become ``emergency``; the append-only trigger is
suspended for this one statement, inside the migration's transaction.
"""

from django.db import migrations

REDACT = """
ALTER TABLE consent_accesslog DISABLE TRIGGER consent_accesslog_append_only;
UPDATE consent_accesslog SET what = 'emergency' WHERE what LIKE 'emergency:%%';
ALTER TABLE consent_accesslog ENABLE TRIGGER consent_accesslog_append_only;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REDACT)
    else:
        AccessLog = apps.get_model("consent", "AccessLog")
        AccessLog.objects.filter(what__startswith="emergency:").update(what="emergency")


class Migration(migrations.Migration):
    dependencies = [("consent", "0009_access_log_lifecycle_acts")]

    # Not reversible in substance: the reasons are still in EmergencyAccess.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
