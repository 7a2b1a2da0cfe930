"""The network of a search in a real browser (Playwright + Debian chromium) on a phone (390 px) and a laptop
(1366 px), in both languages: no accessibility violation (axe), a node reached by keyboard leads to its
profile, the table scrolls inside the page on a phone, the drawing prints with its colours."""

import re

import pytest

from tests.test_browser import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "laptop"])
@pytest.mark.parametrize("path", ["/en/partnerships/", "/fr/partnerships/", "/fr/partnerships/?kind=regional"])
def test_axe_finds_no_violations_at_both_widths(open_page, live_server, web, size, path):
    page = open_page(size, path[1:3])
    page.goto(f"{live_server.url}{path}")
    assert_no_axe_violations(page)


def test_a_node_is_a_link_the_keyboard_reaches(open_page, live_server, web):
    page = open_page("laptop")
    page.goto(f"{live_server.url}/en/partnerships/")
    node = page.get_by_role("link", name=re.compile(r"^City of Banfora \(Regional authority\): 2 partners"))
    node.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/en/organisations/{web['banfora'].slug}/$"))


def test_on_a_phone_the_table_scrolls_inside_the_page(open_page, live_server, web):
    page = open_page("phone", "fr")
    page.goto(f"{live_server.url}/fr/partnerships/")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390  # nothing wider than the screen: the page itself never scrolls sideways
    assert page.locator(".table-scroll").evaluate("e => getComputedStyle(e).overflowX") == "auto"


def test_the_drawing_prints_with_its_colours(open_page, live_server, web):
    page = open_page("laptop", "fr")
    page.goto(f"{live_server.url}/fr/partnerships/")
    page.emulate_media(media="print")
    assert page.locator(".network svg").is_visible()
    assert page.locator(".network-legend").is_visible()
    assert page.locator(".partnerships-table").is_visible()
    assert not page.locator(".result-tools").is_visible()
    fill = page.eval_on_selector(".network circle.node-regional", "c => getComputedStyle(c).fill")
    assert fill == "rgb(230, 159, 0)"
    width = page.eval_on_selector(".network svg", "s => s.getBoundingClientRect().width")
    assert width > 500
