"""Printing a profile (Playwright + chromium's PDF): the AIMF profile of the original page on two A4 pages
in each language, no address noise, print views that fit a phone, and the way back to one's search."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from pypdf import PdfReader

from tests.factories import refreshed_once

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def demo_dump(django_db_setup, django_db_blocker, tmp_path_factory):
    """The sectors and the demo data (manage.py load_sectors, load_demo) as manage.py dumpdata writes them, made
    once for the module in a transaction rolled back at once: load_demo takes seconds (each save refreshes the
    search rows), loading its dump and refreshing the search once (demo_live) a fraction of that."""
    from institutions.models import Sector

    path = tmp_path_factory.mktemp("demo") / "demo.json"
    with django_db_blocker.unblock(), transaction.atomic():
        if not Sector.objects.exists():  # a transactional test emptied the database earlier in this worker
            call_command("load_sectors", stdout=io.StringIO())
        with refreshed_once():
            call_command("load_demo", stdout=io.StringIO())
        # Left out: what the database makes itself after each transactional test empties it (post_migrate),
        # and what refresh_search rebuilds from the rest (demo_live): the facet bitmaps alone are 8 MB of JSON.
        derived = ["institutions.facetbitmap", "institutions.facetvalue", "institutions.searchentry",
                   "institutions.searchword", "experiences.experiencesearchentry"]
        call_command(
            "dumpdata", exclude=["contenttypes", "auth.permission", "sessions", "admin", *derived], output=str(path),
            stdout=io.StringIO(),
        )  # fmt: skip
        transaction.set_rollback(True)
    return path


@pytest.fixture
def demo_live(transactional_db, demo_dump):
    """The demo data, committed, for the live server (the shared `demo` lives in a transaction); the
    transactional test empties the database after it. loaddata bypasses the signals that keep the search
    entries and facet values, so they are rebuilt as after any bulk import (manage.py refresh_search): the
    database then holds what load_demo writes, row for row (timestamps to the millisecond, the dump's)."""
    with refreshed_once():  # an experience's sectors (m2m_changed: no raw flag) would refresh row by row
        call_command("loaddata", str(demo_dump), stdout=io.StringIO())
    call_command("refresh_search", force=True, stdout=io.StringIO())


def pdf_pages(page, url):
    page.goto(url)
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [p.extract_text() for p in reader.pages]


@pytest.mark.parametrize("path", [
    "/fr/organisations/aimf/",
    "/en/organisations/aimf/",
    "/fr/organisations/aimf/print/",
    "/en/organisations/aimf/print/",
])
def test_aimf_profile_prints_on_two_full_pages(page, live_server, demo_live, path):
    pages = pdf_pages(page, live_server.url + path)
    assert len(pages) == 2
    # No page left mostly blank by a forced break: each holds a good share of the text.
    assert min(len(text) for text in pages) > 1500
    text = "".join(pages)
    assert "(AIMF)" in text and ("Cameroun" in text or "Cameroon" in text)  # both experiences printed


def test_print_shows_web_addresses_only(page, live_server, demo_live):
    text = "".join(pdf_pages(page, live_server.url + "/en/organisations/aimf/"))
    assert "sp@aimf.asso.fr" in text and "(mailto:" not in text
    assert "+33 14 48 82 288" in text and "(tel:" not in text
    assert "(http://www.aimf.asso.fr)" in text


@pytest.mark.parametrize(
    "path", ["/fr/organisations/aimf/print/", "/en/organisations/aimf/print/", "/fr/print/", "/en/print/"]
)
def test_print_views_fit_a_phone(open_page, live_server, demo_live, path):
    """With the site's font once it has loaded, and with the browser's own when it cannot load (its letters
    are wider: the French "Worked with" table once overflowed by 16 pixels that way)."""
    page = open_page("phone")
    page.goto(live_server.url + path)
    width = page.evaluate("document.fonts.ready.then(() => document.documentElement.scrollWidth)")
    assert width <= page.viewport_size["width"] == 390
    without_font = open_page("phone")
    without_font.route("**/*.woff2", lambda route: route.abort())
    without_font.goto(live_server.url + path)
    assert without_font.evaluate("document.documentElement.scrollWidth") <= 390


def test_profile_link_goes_back_to_the_visitors_search(page, live_server, demo_live):
    page.goto(f"{live_server.url}/en/?q=mayors&country=FR")
    page.locator("a[href='/en/organisations/aimf/']").first.click()
    page.wait_for_url(f"{live_server.url}/en/organisations/aimf/")
    back = page.get_by_role("link", name="Back to your search")
    assert back.get_attribute("href") == "/en/?q=mayors&country=FR"


def test_profile_link_is_the_plain_search_when_coming_from_elsewhere(page, live_server, demo_live):
    page.goto(f"{live_server.url}/en/organisations/aimf/print/")
    page.get_by_role("link", name="Back to the profile").click()
    page.wait_for_url(f"{live_server.url}/en/organisations/aimf/")
    assert page.get_by_role("link", name="Search the directory").get_attribute("href") == "/en/"
