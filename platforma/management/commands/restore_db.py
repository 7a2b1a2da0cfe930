"""`manage.py restore_db FILE` (make restore FILE=...): replace the database's content with a backup made by
backup_db. PostgreSQL: pg_restore --clean --if-exists in one transaction (all or nothing). SQLite: the
backup API copies the file back page by page."""

import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from .backup_db import PGDUMP_MAGIC, SQLITE_MAGIC, engine_of, pg_environ, run, sqlite_connection, target


class Command(BaseCommand):
    help = "Replace the database's content with a backup written by backup_db."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Backup file (backups/platforma-...)")
        parser.add_argument("--database", default="default", help="Database alias (default: default)")
        parser.add_argument("--database-url", help="Restore into this database instead of the configured one")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="Do not ask for confirmation")

    def handle(self, *args, file, database="default", database_url=None, interactive=True, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such backup file: {path}")
        settings_dict, connection = target(database_url, database)
        engine = engine_of(settings_dict)
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
        expected = PGDUMP_MAGIC if engine == "postgresql" else SQLITE_MAGIC
        if not head.startswith(expected):
            raise CommandError(f"{path} is not a {engine} backup made by backup_db.")

        if interactive:
            answer = input(f"This replaces every record of database {settings_dict['NAME']!r} with {path}.\n"
                           "Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")

        if engine == "postgresql":
            if connection is not None:
                connection.close()  # our own open transaction must not hold locks pg_restore needs
            command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                       "--single-transaction", "--exit-on-error", f"--dbname={settings_dict['NAME']}",
                       str(path)]
            run(command, pg_environ(settings_dict))
        else:
            source = sqlite3.connect(path)
            destination, close = sqlite_connection(settings_dict, connection)
            try:
                source.backup(destination)
            finally:
                source.close()
                if close:
                    destination.close()
        if connection is not None:
            connections[database].close()
        self.stdout.write(f"Restored {path} into {settings_dict['NAME']}.")
