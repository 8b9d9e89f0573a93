"""The listings' words as a stored ``tsvector`` (a generated column, PostgreSQL only),
and the GIN index on it instead of on the expression.

Checking a candidate row of a search then reads the stored vector instead of
folding ``search_text`` again; with common words that recheck was most of a
search's time. SQLite (the embedded demo) searches ``search_text`` and has no
such column.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "directory_listing_search_gin"


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(
        "ALTER TABLE directory_listing ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
    )
    schema_editor.execute(f"CREATE INDEX {INDEX} ON directory_listing USING gin (search_vector)")


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute("ALTER TABLE directory_listing DROP COLUMN search_vector")
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON directory_listing USING gin (to_tsvector('simple', search_text))"
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_constraint_messages_in_french")]

    operations = [migrations.RunPython(forward, backward)]
