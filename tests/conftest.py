import atexit
import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import translation

from tests.factories import make_aimf, make_lyon, make_lyon_experience, make_web, refreshed_once
from tests.search_data import make_directory

# Without Redis, the directory generation lives in a file-based cache shared by the processes of a machine.
# Each test run gets its own folder, so two runs at once (SQLite and PostgreSQL, say) never clear each
# other's; servers the tests start inherit it through the environment. Within the test process the "state"
# cache is local memory (every save of every test writes to it: files cost several times more), except in
# tests that ask for `shared_state_cache` because another process must see their changes.
os.environ["STATE_CACHE_DIR"] = tempfile.mkdtemp(prefix="platforma-test-state-")
atexit.register(shutil.rmtree, os.environ["STATE_CACHE_DIR"], ignore_errors=True)
FILE_STATE_CACHE = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": os.environ["STATE_CACHE_DIR"],
}
if settings.CACHES.get("state", {}).get("BACKEND", "").endswith("FileBasedCache"):
    settings.CACHES["state"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "state"}
# Hashing a password properly takes a while on purpose (a third of a second); the tests hash hundreds. Servers
# the tests start keep the real hashers: tests log in there with force_login.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# This run's own keys in the shared Redis database: the xdist worker and the process, so that runs at once
# (SQLite and PostgreSQL, several workers) never meet, and nothing else in the database is flushed.
REDIS_KEY_PREFIX = f"platforma-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"


@pytest.fixture(autouse=True)
def _shared_data_for_test(request):
    """Opens the test's shared data before any other fixture of the test touches the database. (A test marked
    django_db has its transaction opened first, by pytest-django: shared_data_for leaves it out.) Only then is
    the test database asked for: a run of tests without any makes none."""
    key = shared_data_for(request.node)
    if key is not None:
        request.getfixturevalue("_shared_data").open(key)


@pytest.fixture(autouse=True)
def _reset_language():
    """Every test starts in the site's default language, whatever the previous one activated."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: the database is rolled back between tests, cached pages are
    not, and data made with bulk_create() sends no signal that would make them stale."""
    cache.clear()
    caches["state"].clear()
    yield


@pytest.fixture(autouse=True)
def _page_cache_only_where_tested(request, settings):
    """The page cache (and the first page's facet counts) are made stale when a transaction commits, and a
    test's transaction never does: tests of what a page shows read them uncached. Tests of the cache itself
    are marked `page_cache` and commit."""
    if request.node.get_closest_marker("page_cache") is None:
        settings.PUBLIC_PAGE_CACHE = False
        settings.FACET_COUNTS_CACHE = False


@pytest.fixture
def shared_state_cache(settings):
    """The file-based "state" cache the app uses without Redis, in this run's own folder, for tests whose
    other processes (a server, a command) must see the generation the test's changes bump."""
    if settings.CACHES["state"]["BACKEND"].endswith("LocMemCache"):
        settings.CACHES = {**settings.CACHES, "state": FILE_STATE_CACHE}
    return caches["state"]


_SECTOR_ROWS = []  # [(model, column names, rows)] of the sectors as the session loaded them


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the OECD sectors, the reference data most pages need, loaded once per session
    (each test's changes are rolled back with its transaction). Tests that bring their own codes, or load
    them, ask for `no_sectors`."""
    from institutions.models import Sector, SectorCategory

    with django_db_blocker.unblock():
        call_command("load_sectors", stdout=io.StringIO())
        for model in (SectorCategory, Sector):  # kept for the `sectors` fixture
            names = [field.attname for field in model._meta.concrete_fields]
            _SECTOR_ROWS.append((model, names, list(model.objects.values_list(*names))))


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """A background task runs when it is enqueued, inside the test (tests/test_admin_import.py also runs the
    database-backed worker itself)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _exports_dir(settings, tmp_path_factory):
    """Every test gets its own, empty directory of export files (never the checkout's var/)."""
    settings.EXPORTS_DIR = tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="session")
def _empty_static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("static-root")


@pytest.fixture(autouse=True)
def _no_collected_static(settings, _empty_static_root):
    """STATIC_ROOT empty, never the checkout's staticfiles/: each test client builds the middleware, and
    WhiteNoise then reads every file there (1,263 once collectstatic has run: `make bench` and the load
    scripts run it) — 0.1–0.15 s a test. Pages name static files through the storage, which never reads
    STATIC_ROOT outside production; tests/test_production_serving.py collects its own, and the tests that
    start servers give them a STATIC_ROOT of their own (two collecting into one folder at once fail)."""
    settings.STATIC_ROOT = _empty_static_root


@pytest.fixture
def sectors(db):
    """The OECD sectors. Loaded once per session (django_db_setup); a transactional test empties the database
    at its end, so a later test finds none: it gets them back as the session loaded them, in two bulk inserts
    inside its transaction (load_sectors took 2 s a test, up to 30 s with the other worker busy)."""
    _restore_sectors()


def _restore_sectors():
    """The sectors as the session loaded them, when a transactional test has emptied the database."""
    from institutions.models import Sector

    if not Sector.objects.exists():
        for model, names, rows in _SECTOR_ROWS:
            model.objects.bulk_create(model.from_db("default", names, row) for row in rows)


@pytest.fixture
def no_sectors(db):
    """An empty sector table, for tests that bring their own codes or test loading them. Deleted inside the
    test's transaction: the next test has them again."""
    _delete_sectors()


def _delete_sectors():
    from institutions.models import Sector, SectorCategory

    Sector.objects.all().delete()
    SectorCategory.objects.all().delete()


@pytest.fixture
def staff(client, django_user_model):
    """A superuser logged in on `client`; Django's own admin strings exist in French, so the admin is asked
    in English to compare messages."""
    user = django_user_model.objects.create_superuser("staff@example.org", "pw-correct-horse-battery")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


@pytest.fixture
def staff_editor(django_user_model):
    """A staff member (not superuser) holding the permissions the partner pages ask staff for: change
    organisations; add, change and delete experiences."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("editor@platforma.example", "pw-correct-horse-battery", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["institutions", "experiences"],
            codename__in=["change_organisation", "add_experience", "change_experience", "delete_experience"],
        )
    )
    return user


def _load_demo():
    _restore_sectors()  # a transactional test may have emptied the database earlier in this worker
    with refreshed_once():
        call_command("load_demo", stdout=io.StringIO())


def _make_directory():
    _delete_sectors()  # it brings its own
    with refreshed_once():
        return make_directory()


# The data that many tests of a module read, made once for the run of them that asks for it (the tests of a
# module are ordered by what they ask for: pytest_collection_modifyitems) and rolled back after its last test.
# Each test's own changes are rolled back to it as usual (a savepoint). Made again for a test in a
# transaction of its own (live_server, transactional_db), which would see nothing uncommitted, and for a test
# marked django_db, whose transaction pytest-django opens before any fixture of ours.
SHARED_DATA = {"directory": _make_directory, "demo": _load_demo}


def module_of(item):
    return item.nodeid.split("::")[0]


def shared_data_for(item):
    """(module, the one SHARED_DATA name the test asks for), or None."""
    names = [name for name in SHARED_DATA if name in item.fixturenames]
    marked = item.get_closest_marker("django_db") is not None
    if len(names) != 1 or marked or "live_server" in item.fixturenames or "transactional_db" in item.fixturenames:
        return None
    return module_of(item), names[0]


class _SharedData:
    """The shared data open now (one at a time): its key (shared_data_for), what it made, its transaction."""

    def __init__(self, blocker):
        self.blocker, self.key, self.value, self.stack = blocker, None, None, contextlib.ExitStack()

    def open(self, key):
        if key != self.key:
            self.close()
            with self.blocker.unblock():
                self.stack.enter_context(transaction.atomic())
                self.key = key  # from here close() rolls back, should making the data fail
                self.value = SHARED_DATA[key[1]]()

    def close(self):
        if self.key is not None:
            with self.blocker.unblock():
                transaction.set_rollback(True)
                self.stack.close()
            self.key = self.value = None


_SHARED = []  # the session's _SharedData, for pytest_runtest_teardown


@pytest.fixture(scope="session")
def _shared_data(django_db_setup, django_db_blocker):
    _SHARED.append(_SharedData(django_db_blocker))
    yield _SHARED[0]
    _SHARED.pop().close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Shared data is rolled back after the last test of its run, once every fixture of that test (its own
    transaction too) is torn down: not at the next test's setup, where pytest-django may already have opened
    that test's transaction (a test marked django_db)."""
    try:
        return (yield)
    finally:  # a failed teardown too
        if _SHARED and (nextitem is None or shared_data_for(nextitem) != _SHARED[0].key):
            _SHARED[0].close()


def _shared(request, shared, name):
    """The shared data `name` for this test: the module's copy, or made for this test alone."""
    if shared.key == (module_of(request.node), name):
        return shared.value
    return SHARED_DATA[name]()


@pytest.fixture
def demo(request, db, _shared_data):
    """The demo data (manage.py load_demo)."""
    _shared(request, _shared_data, "demo")


@pytest.fixture
def directory(request, db, _shared_data):
    """AIMF and four other organisations with a few sectors of their own (tests/search_data.py), each test
    given its own copies of the objects (tests change them)."""
    objects = _shared(request, _shared_data, "directory")
    return {name: type(obj).objects.get(pk=obj.pk) for name, obj in objects.items()}


@pytest.fixture
def org(sectors):
    """The City of Lyon with three competences (the admin tests)."""
    return make_lyon()


@pytest.fixture
def experience(org):
    """An experience of `org` with a sector, a country and a funding (the admin tests)."""
    return make_lyon_experience(org)


@pytest.fixture
def web(db):
    """Organisations that worked together (tests/factories.py make_web)."""
    return make_web()


@pytest.fixture
def aimf(sectors):
    """AIMF as on the seed page, with its competences and experiences (tests/factories.py)."""
    with refreshed_once():
        return make_aimf()


def redis_up():
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def shared_cache(settings):
    """Both caches on Redis under this run's key prefix (REDIS_KEY_PREFIX); returns the environment variables
    (CACHE_URL, CACHE_KEY_PREFIX) that make a server started by the test share them. This run's keys are
    deleted before and after; nothing else in the database is touched."""
    redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_KEY_PREFIX,
    }
    settings.CACHES = {"default": redis_cache, "state": dict(redis_cache)}
    client = redis.Redis.from_url(REDIS_URL)

    def delete_own_keys():
        for key in client.scan_iter(match=f"{REDIS_KEY_PREFIX}:*"):
            client.delete(key)

    delete_own_keys()
    yield {"CACHE_URL": REDIS_URL, "CACHE_KEY_PREFIX": REDIS_KEY_PREFIX}
    delete_own_keys()


@pytest.fixture
def gunicorn(tmp_path):
    """start(env) runs `gunicorn platforma.wsgi` (one worker) from the checkout on a port it chooses itself
    (read back from its log), waits until it listens and its worker boots, and returns its address; every
    server started is stopped at the end of the test. A server that exits or is not up within a minute fails
    the test with its log."""
    servers = []

    def start(env):
        log = tmp_path / f"gunicorn-{len(servers)}.log"
        # Its log and whatever it prints (a traceback at start-up) go to one file, appended to by both.
        with open(log, "ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "platforma.wsgi", "--workers", "1", "--bind", "127.0.0.1:0",
                 "--error-logfile", str(log), "--log-level", "info", "--access-logfile", "/dev/null"],
                cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True,
            )  # fmt: skip
        servers.append(process)
        deadline = time.monotonic() + 60
        while True:
            text = log.read_text()
            listening = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", text)
            if listening and "Booting worker" in text:
                return listening.group(1)
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start (exit code {process.poll()}):\n{text}")
            time.sleep(0.1)

    yield start
    for process in servers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in servers:
        process.wait(timeout=30)


# Browser tests: Playwright drives Debian's chromium (nothing can download a browser here); the Redis tests
# need a Redis server. Without them these tests are skipped with a message saying how to enable them; in CI
# a missing one is a failure, so they always run there.


# Tests about one database carry its marker; the other database's run deselects them (CI runs both, so each
# runs once and none is reported skipped).
DATABASE_MARKERS = {"postgresql", "sqlite"}


def this_database():
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def pytest_report_header(config):
    others = ", ".join(sorted(DATABASE_MARKERS - {this_database()}))
    return f"database: {this_database()}; tests marked {others} are deselected (they run in that database's run)"


def deselect_other_databases(config, items):
    other = DATABASE_MARKERS - {this_database()}
    deselected = [item for item in items if other & set(item.keywords)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not other & set(item.keywords)]


def pytest_collection_modifyitems(config, items):
    deselect_other_databases(config, items)
    # Shared data (SHARED_DATA) stays from the first test of a module that asks for it to the last: those tests
    # run together, after the module's other tests.
    first = {}
    for number, item in enumerate(items):
        first.setdefault(module_of(item), number)
    order = {None: 0, **{name: number + 1 for number, name in enumerate(SHARED_DATA)}}

    def position(item):
        shared = shared_data_for(item)
        return first[module_of(item)], order[shared and shared[1]]

    items[:] = sorted(items, key=position)
    needs = {
        "browser": (
            os.path.exists(CHROMIUM) or shutil.which(CHROMIUM),
            f"{CHROMIUM} not found (sudo apt-get install chromium to run them)",
        ),
        "redis": (None, f"no Redis at {REDIS_URL} (sudo apt-get install redis-server to run them)"),
        "cluster": (
            shutil.which("nginx") and os.path.exists("/usr/lib/postgresql/15/bin/pg_ctl") and shutil.which("curl"),
            "no nginx, curl or PostgreSQL 15's pg_ctl (apt-get install nginx curl postgresql-15)",
        ),
        "vnu": (
            shutil.which("java") and list(ROOT.glob(".cache/vnu-jar-*/build/dist/vnu.jar")),
            "no Java or no vnu.jar (apt-get install default-jre-headless; sh scripts/vnu.sh --install)",
        ),
    }
    for marker, (available, missing) in needs.items():
        marked = [item for item in items if marker in item.keywords]
        if not marked:
            continue
        if available is None:
            available = redis_up()
        if available:
            continue
        if IN_CI:
            raise pytest.UsageError(f"CI runs every {marker} test, and {missing}.")
        skip = pytest.mark.skip(reason=f"{marker} tests skipped: {missing}")
        for item in marked:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the live server's database access from
    # the test body is still synchronous, so Django's async guard is lifted for browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    # A loaded CI machine (two test workers, Java's HTML checker) can take more than expect()'s default 5 s to
    # answer a form; the same 30 s as Playwright's own waits.
    expect.set_options(timeout=30_000)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}


@pytest.fixture
def open_page(browser):
    """open_page(size, lang="en", javascript=True): a new page in a browser of that size ("phone", "laptop") speaking
    that language. Every page opened is closed after the test, whether it passed or not: a page left open keeps
    connections to the live server that outlive the test."""
    contexts = []

    def open_page(size, lang="en", javascript=True):
        context = browser.new_context(viewport=SIZES[size], locale=LOCALES[lang], java_script_enabled=javascript)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


# Hypothesis (the fuzz tests): reproducible in CI, the same examples on every run, nothing stored between runs;
# locally random, failing examples remembered in .hypothesis/ and tried first next time.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile("ci" if IN_CI else "dev")
