"""The statistics page (its map and charts) and the experiences list in a real browser (Playwright + Debian
chromium) on a phone (390 px) and a laptop (1366 px), in both languages: no accessibility violation (axe), the
map's countries reached by keyboard, the map readable in print."""

import re

import pytest

from tests.test_browser import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "laptop"])
@pytest.mark.parametrize("path", ["/en/statistics/", "/fr/statistics/", "/en/experiences/", "/fr/experiences/"])
def test_axe_finds_no_violations_at_both_widths(open_page, live_server, aimf, size, path):
    page = open_page(size, path[1:3])
    page.goto(f"{live_server.url}{path}")
    assert_no_axe_violations(page)


def test_a_country_of_the_map_is_a_link_the_keyboard_reaches(open_page, live_server, aimf):
    page = open_page("laptop")
    page.goto(f"{live_server.url}/en/statistics/")
    country = page.locator(".world-map a", has=page.locator("title", has_text="Burkina Faso: 1 experience"))
    assert page.locator(".world-map a").count() == 4  # the AIMF's four countries, nothing else a link
    country.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/en/statistics/\?worked_in=BF$"))
    assert page.locator(".world-map a").count() == 2  # the experience in BF (and CI)


def test_the_map_prints_with_its_colours(open_page, live_server, aimf):
    page = open_page("laptop", "fr")
    page.goto(f"{live_server.url}/fr/statistics/")
    page.emulate_media(media="print")
    assert page.locator(".world-map svg").is_visible()
    assert page.locator(".map-legend").is_visible()
    fill = page.eval_on_selector(".world-map a path", "p => getComputedStyle(p).fill")
    assert fill == "rgb(8, 81, 156)"  # the darkest class, kept on paper
    assert page.eval_on_selector(".world-map a", "a => getComputedStyle(a, '::after').content") == "none"
    width = page.eval_on_selector(".world-map svg", "s => s.getBoundingClientRect().width")
    assert width > 500  # the page's width, not a thumbnail
    assert_no_axe_violations(page)
