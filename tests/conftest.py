import atexit
import os
import shutil
import tempfile

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.utils import translation

# The directory generation lives in a file-based cache shared by the processes of a machine; each test run
# gets its own, so two runs at once (SQLite and PostgreSQL, say) never clear each other's. Servers the
# tests start inherit it through the environment.
os.environ["STATE_CACHE_DIR"] = tempfile.mkdtemp(prefix="platforma-test-state-")
atexit.register(shutil.rmtree, os.environ["STATE_CACHE_DIR"], ignore_errors=True)
if settings.CACHES.get("state", {}).get("BACKEND", "").endswith("FileBasedCache"):
    settings.CACHES["state"]["LOCATION"] = os.environ["STATE_CACHE_DIR"]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
def _exports_dir(settings, tmp_path_factory):
    """Every test gets its own, empty directory of export files (never the checkout's var/)."""
    settings.EXPORTS_DIR = tmp_path_factory.mktemp("exports")


@pytest.fixture
def sectors(db):
    call_command("load_sectors", stdout=open(os.devnull, "w"))


@pytest.fixture
def staff(client, django_user_model):
    """A superuser logged in on `client`; Django's own admin strings exist in French, so the admin is asked
    in English to compare messages."""
    user = django_user_model.objects.create_superuser("staff@example.org", "pw-correct-horse-battery")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


@pytest.fixture
def demo(sectors):
    call_command("load_demo", stdout=open(os.devnull, "w"))


# Browser tests: Playwright drives Debian's chromium (nothing can download a browser here).
# Without chromium they are skipped with a message saying how to enable them; in CI a missing
# browser is a failure, so they always run there.


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    if IN_CI:
        raise pytest.UsageError(f"CI needs chromium for the browser tests, and {CHROMIUM} is missing.")
    skip = pytest.mark.skip(
        reason=f"browser tests skipped: {CHROMIUM} not found (sudo apt-get install chromium to run them)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the live server's database access from
    # the test body is still synchronous, so Django's async guard is lifted for browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


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
