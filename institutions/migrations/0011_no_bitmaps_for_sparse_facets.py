"""The sparse facets ("Worked with") are counted from their FacetValue rows (institutions/bitmaps.py): their
bitmaps, 8 KiB a value, go."""

from django.db import migrations

SPARSE_FACETS = ["partner_of"]  # as institutions.bitmaps.SPARSE_FACETS was when this was written


def drop_sparse_bitmaps(apps, schema_editor):
    apps.get_model("institutions", "FacetBitmap").objects.using(schema_editor.connection.alias).filter(
        facet__in=SPARSE_FACETS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0010_import_runs")]

    operations = [migrations.RunPython(drop_sparse_bitmaps, migrations.RunPython.noop)]
