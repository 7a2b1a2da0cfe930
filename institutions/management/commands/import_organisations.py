"""manage.py import_organisations FILE: the command-line face of institutions/importing.py (CSV or XLSX)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from institutions.importing import Importer, ImportFileError, read_table

LARGE_FILE = 200  # rows; below this the progress bar would only add noise


class Command(BaseCommand):
    help = (
        "Import organisations (and optionally their competences, experiences and fundings) from a CSV or XLSX "
        "file; see the README, section 'Importing organisations', and fixtures/import_template.csv. "
        "Organisations are matched by slug and experiences by organisation, start date and title, so re-running "
        "a file creates no duplicates. Bad rows are reported with their line number and skipped; the others "
        "import. The whole run is one transaction unless --batch or --no-atomic is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV (UTF-8, comma or semicolon separated) or XLSX file, header row first")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument(
            "--batch",
            type=int,
            metavar="N",
            help="commit every N rows instead of once at the end (a crash then loses only the current batch)",
        )
        parser.add_argument("--no-atomic", action="store_true", help="commit each row on its own (same as --batch 1)")
        parser.add_argument("--no-progress", action="store_true", help="never show the progress bar")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(_("%(path)s not found") % {"path": path})
        try:
            header, rows = read_table(str(path), path.read_bytes())
        except (OSError, ImportFileError) as exc:
            raise CommandError(str(exc)) from exc
        dry_run = options["dry_run"]
        importer = Importer(header, rows, reason=f"Import from {path.name} (manage.py import_organisations)")
        progress = tqdm(
            total=len(rows),
            unit=" rows",
            file=self.stderr,
            disable=options["no_progress"] or options["verbosity"] == 0 or len(rows) < LARGE_FILE,
        )
        with progress:
            report = importer.run(
                dry_run=dry_run,
                batch=1 if options["no_atomic"] else options["batch"],
                progress=lambda done: progress.update(done - progress.n),
            )
        if options["verbosity"] >= 2 or (dry_run and options["verbosity"] >= 1):
            for text in report.lines:
                self.stdout.write(f"  {text}")
        for text in report.errors:
            self.stderr.write(text)
        self.stdout.write(report.summary())
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
