"""The access log is append-only, enforced by the database (PostgreSQL trigger).

UPDATE and DELETE of a row raise an error whoever runs them, the application
included. SQLite (embedded demo mode) relies on the application alone.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION consent_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'consent_accesslog is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_accesslog_append_only
    BEFORE UPDATE OR DELETE ON consent_accesslog
    FOR EACH ROW EXECUTE FUNCTION consent_accesslog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS consent_accesslog_append_only ON consent_accesslog;
DROP FUNCTION IF EXISTS consent_accesslog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("consent", "0003_seed_profession_matrix")]

    operations = [migrations.RunPython(forwards, backwards)]
