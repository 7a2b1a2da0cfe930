"""Membership (partner access) and its history moved to the partners app: the rows stay, only the tables are
renamed to the new app's names; partners/0001 takes the models over in the migration state."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("institutions", "0008_facet_bitmaps"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable("membership", "partners_membership"),
                migrations.AlterModelTable("historicalmembership", "partners_historicalmembership"),
            ],
            state_operations=[
                migrations.DeleteModel("HistoricalMembership"),
                migrations.DeleteModel("Membership"),
            ],
        ),
    ]
