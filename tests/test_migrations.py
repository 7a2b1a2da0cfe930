"""A populated database migrates forward across the move of partner access (Membership and its history) from
institutions to partners without losing a row (issue 15).

One transactional test, as Django's own migration tests do it (MigrationExecutor): the database is taken back
to the migrations before the move, filled there with the demo data, 1,000 generated organisations and partner
accesses written through the old models, then migrated forward; every table's row count and a sample of every
table's rows must be the same before and after, the moved tables under their new names."""

import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

MOVE = "membership_moved_to_partners"  # institutions' migration that gives the tables away (its number may change)
MOVED = {
    ("institutions", "membership"): ("partners", "membership"),
    ("institutions", "historicalmembership"): ("partners", "historicalmembership"),
}
NEW_APP = {old: {"app_label": new[0]} for old, new in MOVED.items()}


def migrated(targets, unmade=()):
    """Migrates the test database to `targets`, with the apps `unmade` unmigrated, and returns the models as
    they are there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets + [(app, None) for app in unmade])
    return executor.loader.project_state(targets).apps


def snapshot(apps):
    """{(app label, model): (row count, about 50 rows spread over the table)} for every model of `apps`, the
    moved models under their new labels."""
    tables = {}
    for model in apps.get_models():
        label = (model._meta.app_label, model._meta.model_name)
        rows = model.objects.order_by("pk")
        pks = list(rows.values_list("pk", flat=True))
        spread = pks[:: max(1, len(pks) // 50)] + pks[-1:]
        sample = list(rows.filter(pk__in=spread).values())
        if label == ("contenttypes", "contenttype"):  # the moved models' content types move with them
            sample = [
                dict(row, app_label=NEW_APP.get((row["app_label"], row["model"]), row)["app_label"]) for row in sample
            ]
        tables[MOVED.get(label, label)] = (len(pks), sample)
    return tables


def give_partner_access(apps, organisations):
    """Partner accesses (and their history rows) written with the models before the move, as an old
    database holds them; one staff member holds the permission to change them."""
    User = apps.get_model("accounts", "User")
    Membership = apps.get_model("institutions", "Membership")
    HistoricalMembership = apps.get_model("institutions", "HistoricalMembership")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    users = User.objects.bulk_create(User(email=f"partner{n}@mairie.example", password="!") for n in range(60))
    memberships = Membership.objects.bulk_create(
        Membership(user=users[n % len(users)], organisation=organisation)
        for n, organisation in enumerate(organisations)
    )
    HistoricalMembership.objects.bulk_create(
        HistoricalMembership(
            id=m.pk,
            user_id=m.user_id,
            organisation_id=m.organisation_id,
            created=m.created,
            history_date=m.created,
            history_type="+",
        )
        for m in memberships
    )
    content_type, _ = ContentType.objects.get_or_create(app_label="institutions", model="membership")
    change, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="change_membership", defaults={"name": "Can change partner access"}
    )
    staff = User.objects.create(email="secretariat@platforma.example", password="!", is_staff=True)
    staff.user_permissions.add(change)
    return staff


@pytest.mark.django_db(transaction=True)
def test_a_populated_database_migrates_forward_across_the_move_without_loss():
    executor = MigrationExecutor(connection)
    move = next(key for key in executor.loader.disk_migrations if key[0] == "institutions" and key[1].endswith(MOVE))
    latest = executor.loader.graph.leaf_nodes()
    # Every app at its latest migration but institutions, taken back to before the move, and the apps whose
    # migrations need the move (partners, and apps made since, such as contact), unmade.
    moved_from = [key for key in executor.loader.disk_migrations[move].dependencies if key[0] == "institutions"]
    graph = executor.loader.graph
    unmade = sorted({app for app, name in latest if app != "institutions" and move in graph.forwards_plan((app, name))})
    assert "partners" in unmade
    before = [key for key in latest if key[0] not in ("institutions", *unmade)] + moved_from

    old = migrated(before, unmade=unmade)
    # The tables the move leaves alone are written by today's commands (load_demo writes no partner access
    # outside DEBUG); partner access by the models as they were.
    call_command("load_sectors", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    call_command("generate_directory", organisations=1000, workers=1, no_progress=True, stdout=io.StringIO())
    organisations = list(old.get_model("institutions", "Organisation").objects.order_by("pk"))
    staff = give_partner_access(old, random.Random(15).sample(organisations, 300))
    was = snapshot(old)
    assert was[("partners", "membership")][0] == 300 and was[("partners", "historicalmembership")][0] == 300
    assert was[("institutions", "organisation")][0] > 1000

    new = migrated(latest)
    now = snapshot(new)
    assert {table: now[table] for table in was} == was
    assert all(rows == (0, []) for table, rows in now.items() if table not in was), "tables added since are empty"
    # The staff member keeps the permission, now on the moved model.
    user = new.get_model("accounts", "User").objects.get(pk=staff.pk)
    assert list(user.user_permissions.values_list("content_type__app_label", "content_type__model", "codename")) == [
        ("partners", "membership", "change_membership")
    ]
