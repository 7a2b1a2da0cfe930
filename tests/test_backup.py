"""make backup / make restore: a backup restored into an empty database holds every row of every table."""

import io
import sqlite3
import uuid
from contextlib import closing

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from institutions.models import Organisation
from partners.models import Membership

# The backup is read by another process (pg_dump): the test data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def data():
    """Organisations in both languages, with history (created then edited) and partner access."""
    first = Organisation.objects.create(
        name_fr="Ville de Ouagadougou", name_en="City of Ouagadougou", acronym="VO",
        description_fr="Coopération décentralisée « eau » – été", description_en="Decentralised cooperation",
        country="BF", city="Ouagadougou",
    )
    Organisation.objects.create(name_fr="Association des maires", acronym="AIMF-T", country="FR")
    first.description_en = "Decentralised cooperation, water"
    first.save()
    user = get_user_model().objects.create_user("partner@example.org", "a-long-password-1")
    Membership.objects.create(user=user, organisation=first)
    assert first.history.count() == 2


def snapshot(cursor, tables, quote):
    """Every row of every table, in a stable order (all columns, NULLs included)."""
    rows = {}
    for table in tables:
        cursor.execute(f"SELECT * FROM {quote(table)}")
        rows[table] = sorted(cursor.fetchall(), key=repr)
    return rows


def django_tables():
    return sorted(connection.introspection.table_names())


def test_backup_then_restore_into_an_empty_database_keeps_every_row(data, tmp_path):
    backup = tmp_path / ("site.dump" if POSTGRES else "site.sqlite3")
    call_command("backup_db", output=str(backup), stdout=io.StringIO())
    tables = django_tables()
    if POSTGRES:
        with connection.cursor() as cursor:
            original = snapshot(cursor, tables, connection.ops.quote_name)
    else:
        # A plain sqlite3 connection on the test database, as on the restored file (no type conversion).
        with closing(sqlite3.connect(connection.settings_dict["NAME"], uri=True)) as source:
            original = snapshot(source.cursor(), tables, connection.ops.quote_name)
    for table in ["institutions_organisation", "institutions_historicalorganisation",
                  "partners_membership", "partners_historicalmembership", "accounts_user"]:
        assert original[table], f"{table} should hold test data"

    if POSTGRES:
        restored = restore_into_scratch_postgres(backup, tables)
    else:
        fresh = tmp_path / "fresh.sqlite3"
        call_command("restore_db", str(backup), database_url=f"sqlite:///{fresh}", interactive=False,
                     stdout=io.StringIO())
        with closing(sqlite3.connect(fresh)) as restored_db:
            restored_tables = sorted(r[0] for r in restored_db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"))
            assert restored_tables == tables
            restored = snapshot(restored_db.cursor(), tables, connection.ops.quote_name)
    for table in tables:
        assert restored[table] == original[table], f"table {table} differs after restore"


def restore_into_scratch_postgres(backup, tables):
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    scratch = f"platforma_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True)
    admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        settings_dict = connection.settings_dict
        url = (f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}"
               f"@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{scratch}")
        call_command("restore_db", str(backup), database_url=url, interactive=False, stdout=io.StringIO())
        with psycopg.connect(**{**params, "dbname": scratch}) as restored_db:
            restored_tables = sorted(r[0] for r in restored_db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            assert restored_tables == tables
            return snapshot(restored_db.cursor(), tables, connection.ops.quote_name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.close()


def test_restore_replaces_changes_made_after_the_backup(data, tmp_path):
    """The everyday use: something was lost after the backup; restoring brings it back in place."""
    backup = tmp_path / "before.bak"
    call_command("backup_db", output=str(backup), stdout=io.StringIO())
    Organisation.objects.filter(acronym="VO").delete()
    Organisation.objects.create(name_fr="Ajoutée après", acronym="LATE")
    call_command("restore_db", str(backup), interactive=False, stdout=io.StringIO())
    assert sorted(Organisation.objects.values_list("acronym", flat=True)) == ["AIMF-T", "VO"]
    restored = Organisation.objects.get(acronym="VO")
    assert restored.name_en == "City of Ouagadougou" and restored.description_fr.endswith("« eau » – été")
    assert restored.memberships.count() == 1


def test_default_backup_goes_to_backups_folder_with_a_timestamp(data, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    out = io.StringIO()
    call_command("backup_db", stdout=out)
    [written] = (tmp_path / "backups").iterdir()
    assert written.name.startswith(f"platforma-{'postgresql' if POSTGRES else 'sqlite'}-")
    assert str(written) in out.getvalue()
    assert not list((tmp_path / "backups").glob("*.partial"))


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, db):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    with pytest.raises(CommandError, match="not a"):
        call_command("restore_db", str(bogus), interactive=False)
    with pytest.raises(CommandError, match="No such backup file"):
        call_command("restore_db", str(tmp_path / "missing.dump"), interactive=False)


def test_restore_asks_before_replacing(data, tmp_path, monkeypatch):
    backup = tmp_path / "b.bak"
    call_command("backup_db", output=str(backup), stdout=io.StringIO())
    Organisation.objects.create(name_fr="Gardée", acronym="KEEP")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore_db", str(backup))
    assert Organisation.objects.filter(acronym="KEEP").exists()
