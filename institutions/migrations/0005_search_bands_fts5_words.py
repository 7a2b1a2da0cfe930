"""Free text by word on both databases, ranked by band (institutions/search.py).

- PostgreSQL: the generated vectors of 0004 give way to three vector columns written by the search code
  (French and English stems of the names; of names and sectors; of the whole document, weighted A/B/C),
  each with a GIN index, and a table of the documents' words with a trigram index for typo suggestions.
  Generated columns could not hold the band weights without the SQL knowing the document's layout.
- SQLite: an FTS5 table of the stems (one column per band and language), rowid = organisation id.

The documents change layout (three lines, more text): run `manage.py refresh_search` after migrating; until
then search finds nothing on PostgreSQL (the new vectors are empty).
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, models

FTS_TABLE = "institutions_searchentry_fts"
PG_OLD = [
    "DROP INDEX IF EXISTS searchentry_vector",
    "DROP INDEX IF EXISTS searchentry_head_vector",
    "DROP INDEX IF EXISTS searchentry_trgm",
    "ALTER TABLE institutions_searchentry DROP COLUMN IF EXISTS vector",
    "ALTER TABLE institutions_searchentry DROP COLUMN IF EXISTS head_vector",
]
PG_INDEXES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Results are sorted by `names`: kept in the row, uncompressed, or every comparison of the sort would
    # fetch it from out-of-row storage again (2.3 s instead of 30 ms for 7,760 matches).
    "ALTER TABLE institutions_searchentry ALTER COLUMN names SET STORAGE PLAIN",
    "CREATE INDEX searchentry_name_vector ON institutions_searchentry USING gin (name_vector)",
    "CREATE INDEX searchentry_sector_vector ON institutions_searchentry USING gin (sector_vector)",
    "CREATE INDEX searchentry_vector ON institutions_searchentry USING gin (vector)",
    "CREATE INDEX searchword_trgm ON institutions_searchword USING gin (word gin_trgm_ops)",
]
PG_DROP_INDEXES = [
    "DROP INDEX IF EXISTS searchentry_name_vector",
    "DROP INDEX IF EXISTS searchentry_sector_vector",
    "DROP INDEX IF EXISTS searchentry_vector",
    "DROP INDEX IF EXISTS searchword_trgm",
]


def run_on(vendor, statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == vendor:
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("institutions", "0004_search_entry"),
    ]

    operations = [
        migrations.RunPython(run_on("postgresql", PG_OLD), migrations.RunPython.noop, elidable=False),
        migrations.AddField(
            model_name="searchentry",
            name="names",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="name_vector",
            field=SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="sector_vector",
            field=SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="vector",
            field=SearchVectorField(editable=False, null=True),
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[("word", models.CharField(max_length=100, primary_key=True, serialize=False))],
        ),
        migrations.RunPython(
            run_on("postgresql", PG_INDEXES), run_on("postgresql", PG_DROP_INDEXES), elidable=False
        ),
        migrations.RunPython(
            run_on(
                "sqlite",
                [
                    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
                    "names_fr, names_en, sectors_fr, sectors_en, rest_fr, rest_en, "
                    "tokenize = 'unicode61 remove_diacritics 2')"
                ],
            ),
            run_on("sqlite", [f"DROP TABLE IF EXISTS {FTS_TABLE}"]),
            elidable=False,
        ),
    ]
