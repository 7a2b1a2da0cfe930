"""Background work (Django's task framework; the worker is `manage.py db_worker`, started by `make run`):
checking and importing a file uploaded in the admin."""

from contextlib import contextmanager

from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from .importing import Importer, ImportFileError, read_table
from .models import ImportRun


def _read(run):
    """The run's rows, or None when the file cannot be imported (the run then says why)."""
    try:
        header, rows = read_table(run.file_name, bytes(run.content))
        if len(rows) > ImportRun.MAX_ROWS:
            raise ImportFileError(
                _("%(path)s: %(rows)d rows; at most %(max)d can be imported at once, split the file.")
                % {"path": run.file_name, "rows": len(rows), "max": ImportRun.MAX_ROWS}
            )
    except ImportFileError as exc:
        run.status, run.error = ImportRun.Status.FAILED, str(exc)
        run.content = b""
        run.save(update_fields=["status", "error", "content"])
        return None
    return header, rows


def _importer(run, header, rows):
    reason = f"Import from {run.file_name} (admin)"
    return Importer(header, rows, reason=reason, user=run.uploaded_by)


@contextmanager
def _failing_visibly(run):
    """An unexpected error ends the run as failed, saying so on its page, and reaches the worker's log."""
    try:
        yield
    except Exception as exc:
        error = _(
            "Stopped by an unexpected error (%(error)s). Rows imported before it stay imported; the server's log "
            "has the details."
        ) % {"error": type(exc).__name__}
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED, error=error)
        raise


@task
def check_import(run_id):
    """The dry run: every row goes through the import's rules, then everything is rolled back."""
    run = ImportRun.objects.get(pk=run_id)
    with translation.override(run.language), _failing_visibly(run):
        read = _read(run)
        if read is None:
            return
        report = _importer(run, *read).run(dry_run=True)
    run.rows_total, run.checked, run.status = len(read[1]), report.as_dict(), ImportRun.Status.CHECKED
    run.save(update_fields=["rows_total", "checked", "status"])


@task
def apply_import(run_id):
    """The import itself, committed every ImportRun.BATCH rows; the count of rows done moves with each commit."""
    run = ImportRun.objects.get(pk=run_id)

    def progress(done):
        # Inside the batch's transaction: the count becomes visible when the batch's rows do.
        if done % ImportRun.BATCH == 0:
            ImportRun.objects.filter(pk=run.pk).update(rows_done=done)

    with translation.override(run.language), _failing_visibly(run):
        read = _read(run)
        if read is None:
            return
        report = _importer(run, *read).run(batch=ImportRun.BATCH, progress=progress)
    run.rows_done, run.imported, run.status, run.content = len(read[1]), report.as_dict(), ImportRun.Status.DONE, b""
    run.save(update_fields=["rows_done", "imported", "status", "content"])
