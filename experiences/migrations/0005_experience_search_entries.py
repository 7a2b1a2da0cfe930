"""Free text on the experiences list from an index of experiences (institutions.search.experience_ids), not by
reading every candidate experience's texts in Python (7 s for a common word at 10,000 organisations).

- PostgreSQL: a GIN index on the entries' vectors.
- SQLite: an FTS5 table of the stems, one column per language, rowid = experience id.

The entries are written with the organisations' search entries: run `manage.py refresh_search` once after
migrating (README, "Production"); until then the experiences list's free text finds nothing.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

FTS_TABLE = "experiences_experiencesearchentry_fts"


def run_on(vendor, statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == vendor:
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("experiences", "0004_participant_role_label"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExperienceSearchEntry",
            fields=[
                (
                    "experience",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="experiences.experience",
                    ),
                ),
                ("document", models.TextField(blank=True, default="")),
                ("vector", django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
            ],
            options={
                "verbose_name": "experience search entry",
                "verbose_name_plural": "experience search entries",
            },
        ),
        migrations.RunPython(
            run_on(
                "postgresql",
                ["CREATE INDEX experiencesearchentry_vector ON experiences_experiencesearchentry USING gin (vector)"],
            ),
            run_on("postgresql", ["DROP INDEX IF EXISTS experiencesearchentry_vector"]),
            elidable=False,
        ),
        migrations.RunPython(
            run_on(
                "sqlite",
                [
                    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
                    "text_fr, text_en, tokenize = 'unicode61 remove_diacritics 2')"
                ],
            ),
            run_on("sqlite", [f"DROP TABLE IF EXISTS {FTS_TABLE}"]),
            elidable=False,
        ),
    ]
