"""The whole directory's export files on disk (settings.EXPORTS_DIR), as `manage.py build_exports` leaves
them and the download view reads them.

    EXPORTS_DIR/builds/<stamp>/organisations-fr.csv, organisations-fr.csv.gz, …, manifest.json
    EXPORTS_DIR/current -> builds/<stamp>

A build is written into its own directory, then `current` (a symbolic link) is replaced by one rename: a
request sees the whole of one build, never half of one. The previous build is kept until the next one, so
a download that started on it finishes. The manifest says the directory generation the files were read at
(institutions.cache.generation()), when, and how many rows each file has.
"""

import datetime
import fcntl
import gzip
import json
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from institutions.cache import generation

log = logging.getLogger("platforma.exports")

MANIFEST = "manifest.json"
CURRENT = "current"
COMPRESSED = ("csv", "json")  # an XLSX file is a zip file already


def file_name(dataset, language, fmt):
    return f"{dataset}-{language}.{fmt}"


class Build:
    def __init__(self, directory, manifest):
        self.directory = directory
        self.stamp = manifest["stamp"]
        self.generation = manifest["generation"]
        self.built = datetime.datetime.fromisoformat(manifest["built"])
        self.files = manifest["files"]

    @property
    def fresh(self):
        """True while no data has changed since the files were read (False when that cannot be known: the
        state cache unreachable)."""
        try:
            return self.generation == generation()
        except Exception:
            log.warning("directory generation unknown: export files taken as stale", exc_info=True)
            return False

    def has(self, dataset, language, fmt):
        return file_name(dataset, language, fmt) in self.files

    def has_gzip(self, dataset, language, fmt):
        return self.files.get(file_name(dataset, language, fmt), {}).get("gzip", False)

    def rows(self, dataset, language, fmt):
        return self.files[file_name(dataset, language, fmt)]["rows"]

    def path(self, dataset, language, fmt, gzip=False):
        return self.directory / (file_name(dataset, language, fmt) + (".gz" if gzip else ""))


def current():
    """The build being served, or None before the first one."""
    try:
        directory = (Path(settings.EXPORTS_DIR) / CURRENT).resolve(strict=True)
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return Build(directory, manifest)


class NewBuild:
    """A build being written: add files to `directory`, then publish()."""

    def __init__(self, root):
        self.root = root
        self.generation = generation()  # read BEFORE the data: a change while it runs makes it stale
        self.started = timezone.now()
        self.stamp = self.started.strftime("%Y%m%dT%H%M%S%f")
        self.directory = root / "builds" / f"{self.stamp}.tmp"
        self.directory.mkdir(parents=True)
        self.files = {}

    def path(self, dataset, language, fmt):
        return self.directory / file_name(dataset, language, fmt)

    def done(self, dataset, language, fmt, rows):
        """Record a finished file and write its gzip copy (text formats)."""
        name = file_name(dataset, language, fmt)
        self.files[name] = {"rows": rows, "gzip": fmt in COMPRESSED}
        if fmt in COMPRESSED:
            path = self.directory / name
            with path.open("rb") as source, gzip.open(f"{path}.gz", "wb", compresslevel=6) as target:
                shutil.copyfileobj(source, target)

    def publish(self):
        """Make this build the current one (atomically) and remove the builds before the previous one."""
        manifest = {
            "stamp": self.stamp,
            "generation": self.generation,
            "built": self.started.isoformat(),
            "files": self.files,
        }
        (self.directory / MANIFEST).write_text(json.dumps(manifest, indent=1))
        final = self.root / "builds" / self.stamp
        self.directory.rename(final)
        previous = current()
        link = self.root / f"{CURRENT}.{self.stamp}"
        link.symlink_to(Path("builds") / self.stamp)
        os.replace(link, self.root / CURRENT)
        keep = {final.name} | ({previous.directory.name} if previous else set())
        for old in (self.root / "builds").iterdir():
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
        return current()


@contextmanager
def building():
    """A NewBuild under this machine's build lock, or None when another build is running. A build that
    fails leaves no directory behind."""
    root = Path(settings.EXPORTS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    with (root / "build.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        new = NewBuild(root)
        try:
            yield new
        finally:
            shutil.rmtree(new.directory, ignore_errors=True)  # gone already when published
