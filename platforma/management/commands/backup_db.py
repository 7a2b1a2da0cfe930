"""`manage.py backup_db` (make backup): a complete, consistent copy of the database in ./backups/.

PostgreSQL: pg_dump in its custom format (compressed, restorable with pg_restore, schema + data, history
and memberships included). SQLite: SQLite's online backup API, which copies a consistent snapshot even
while the site is writing.
"""

import os
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def target(database_url=None, alias="default"):
    """(settings dict, Django connection or None): the alias's database, or another one given by URL."""
    if database_url:
        return dj_database_url.parse(database_url), None
    return connections[alias].settings_dict, connections[alias]


def engine_of(settings_dict):
    engine = settings_dict["ENGINE"]
    if "postgresql" in engine:
        return "postgresql"
    if "sqlite3" in engine:
        return "sqlite"
    raise CommandError(f"Backups support PostgreSQL and SQLite, not {engine}.")


def pg_environ(settings_dict):
    """libpq environment for pg_dump/pg_restore: the password never appears on a command line."""
    environ = dict(os.environ)
    for var, key in [("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"),
                     ("PGDATABASE", "NAME")]:
        if settings_dict.get(key):
            environ[var] = str(settings_dict[key])
    sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        environ["PGSSLMODE"] = sslmode
    return environ


def run(command, environ):
    try:
        result = subprocess.run(command, env=environ, capture_output=True, text=True)
    except FileNotFoundError:
        raise CommandError(f"{command[0]} not found: install the PostgreSQL client "
                           "(apt-get install postgresql-client).") from None
    if result.returncode != 0:
        raise CommandError(f"{command[0]} failed:\n{result.stderr.strip()}")


def sqlite_connection(settings_dict, connection):
    """The raw sqlite3 connection: Django's own when it is the site's database (works for the in-memory
    test database too), else a new one on the file."""
    if connection is not None:
        connection.ensure_connection()
        return connection.connection, False
    return sqlite3.connect(settings_dict["NAME"]), True


class Command(BaseCommand):
    help = "Write a complete copy of the database to ./backups/ (or --output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (default: backups/platforma-<engine>-<time>.*)")
        parser.add_argument("--database", default="default", help="Database alias (default: default)")
        parser.add_argument("--database-url", help="Back up this database instead of the configured one")

    def handle(self, *args, output=None, database="default", database_url=None, **options):
        settings_dict, connection = target(database_url, database)
        engine = engine_of(settings_dict)
        if output:
            path = Path(output)
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            suffix = "dump" if engine == "postgresql" else "sqlite3"
            path = Path(settings.BASE_DIR) / "backups" / f"platforma-{engine}-{stamp}.{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name first: never a half-written file under the real name.
        partial = path.with_name(path.name + ".partial")

        if engine == "postgresql":
            # Owners and grants are left out so the copy restores under any role.
            run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
                pg_environ(settings_dict))
        else:
            source, close = sqlite_connection(settings_dict, connection)
            destination = sqlite3.connect(partial)
            try:
                source.backup(destination)
            finally:
                destination.close()
                if close:
                    source.close()
        partial.replace(path)
        self.stdout.write(f"Backup written: {path} ({path.stat().st_size} bytes)")
        return None
