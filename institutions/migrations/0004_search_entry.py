"""Free-text search moves from Organisation.search_document to a narrow table of its own, SearchEntry.

Measured at 100,000 organisations: "eau" matches 55,000 of them, and collecting their ids visited 17,000
pages of the organisation table (descriptions and the document inline), 85–130 ms; the same ids from a
table whose rows hold little more than an id take ~25 ms. So on PostgreSQL:

- the document and the generated vectors live in institutions_searchentry;
- toast_tuple_target = 128 pushes every large value (document, vectors) out of the row, so a row is a few
  dozen bytes and a bitmap scan over half the directory reads a few hundred pages;
- `vector`: French and English stems of the whole document (GIN): which organisations match;
- `head_vector`: the same for the first line only, names and acronym (GIN): which of them match by name
  (relevance shows those first); it is small and stays in the row;
- a trigram GIN index on the document for misspelt words (pg_trgm, as before).

SQLite gets the plain table (search there matches the document with LIKE). History rows no longer carry
a copy of the document.
"""

import django.db.models.deletion
from django.db import migrations, models

VECTOR = "to_tsvector('french'::regconfig, {0}) || to_tsvector('english'::regconfig, {0})"
HEAD = "split_part(document, E'\\n', 1)"
OLD_DOCUMENT = "coalesce(search_document, '')"
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE institutions_searchentry SET (toast_tuple_target = 128)",
    "ALTER TABLE institutions_searchentry ADD COLUMN vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR.format('document')}) STORED",
    "ALTER TABLE institutions_searchentry ADD COLUMN head_vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR.format(HEAD)}) STORED",
    "CREATE INDEX searchentry_vector ON institutions_searchentry USING gin (vector)",
    "CREATE INDEX searchentry_head_vector ON institutions_searchentry USING gin (head_vector)",
    "CREATE INDEX searchentry_trgm ON institutions_searchentry USING gin (document gin_trgm_ops)",
    # The old column, its generated vector and their indexes (0002_search_indexes).
    "DROP INDEX IF EXISTS organisation_search_vector",
    "DROP INDEX IF EXISTS organisation_search_trgm",
    "ALTER TABLE institutions_organisation DROP COLUMN IF EXISTS search_vector",
]


def postgresql_search_columns(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)


def copy_documents(apps, schema_editor):
    # One statement: at 100,000 organisations a Python loop would take minutes.
    schema_editor.execute(
        "INSERT INTO institutions_searchentry (organisation_id, document) "
        "SELECT id, search_document FROM institutions_organisation"
    )


def copy_documents_back(apps, schema_editor):
    schema_editor.execute(
        "UPDATE institutions_organisation SET search_document = ("
        "SELECT document FROM institutions_searchentry e WHERE e.organisation_id = institutions_organisation.id)"
        " WHERE id IN (SELECT organisation_id FROM institutions_searchentry)"
    )


def restore_old_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE institutions_organisation ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED "
        f"ALWAYS AS ({VECTOR.format(OLD_DOCUMENT)}) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS organisation_search_vector ON institutions_organisation USING gin (search_vector)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS organisation_search_trgm ON institutions_organisation "
        "USING gin (search_document gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("institutions", "0003_criteria_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="institutions.organisation",
                    ),
                ),
                ("document", models.TextField(blank=True, default="")),
            ],
            options={
                "verbose_name": "search entry",
                "verbose_name_plural": "search entries",
            },
        ),
        migrations.RunPython(postgresql_search_columns, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(copy_documents, copy_documents_back, elidable=False),
        migrations.RunPython(migrations.RunPython.noop, restore_old_vector, elidable=False),
        migrations.RemoveField(model_name="organisation", name="search_document"),
        migrations.RemoveField(model_name="historicalorganisation", name="search_document"),
    ]
