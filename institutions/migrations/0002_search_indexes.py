"""PostgreSQL search indexes: pg_trgm plus GIN indexes on exactly the expressions institutions/search.py uses.

SQLite has neither extension nor GIN: there the migration does nothing (search uses LIKE)."""

from django.db import migrations

INDEXES = [
    ("organisation_search_fr", "USING gin (to_tsvector('french'::regconfig, search_document))"),
    ("organisation_search_en", "USING gin (to_tsvector('english'::regconfig, search_document))"),
    ("organisation_search_trgm", "USING gin (search_document gin_trgm_ops)"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON institutions_organisation {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("institutions", "0001_initial"),
        ("experiences", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
