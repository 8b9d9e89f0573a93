"""A GIN index on the listings' words, on PostgreSQL only (SQLite searches without it).

The index is on the expression the search filters on,
``to_tsvector('simple', search_text)``: each folded word of a query must
begin a word of the listing (a prefix ``tsquery``).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "directory_listing_search_gin"


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON directory_listing "
            "USING gin (to_tsvector('simple', search_text))"
        )


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_structures_activities_and_listings")]

    operations = [migrations.RunPython(create, drop)]
