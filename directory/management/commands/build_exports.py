from django.conf import settings
from django.core.management.base import BaseCommand

from directory import export_files
from directory.exports import build_files


class Command(BaseCommand):
    help = (
        "Write the whole directory's export files (organisations and experiences; CSV, XLSX, JSON; each "
        "language; gzip copies) into EXPORTS_DIR, then make them the ones served, atomically. Does nothing "
        "when the files are up to date with the directory generation, or while another build runs, so it can "
        "be run every minute. Changes nothing in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="build even when the files are up to date")
        parser.add_argument("--dry-run", action="store_true", help="only say whether a build is needed")

    def handle(self, *args, force=False, dry_run=False, verbosity=1, **options):
        build = export_files.current()
        needed = force or build is None or not build.fresh
        if not needed or dry_run:
            if dry_run or verbosity > 1:
                self.stdout.write("a build is needed" if needed else f"up to date (built {build.built:%Y-%m-%d %H:%M})")
            return
        with export_files.building() as new_build:
            if new_build is None:
                self.stdout.write("another build is running")
                return
            build_files(new_build, settings.SITE_URL)
            build = new_build.publish()
        if verbosity:
            rows = {name: build.rows(name, settings.LANGUAGE_CODE, "csv") for name in ("organisations", "experiences")}
            counts = ", ".join(f"{name} {number:,}" for name, number in rows.items())
            self.stdout.write(f"export files written to {build.directory} ({counts} rows)")
