"""The search page in a real browser (Playwright + Debian chromium) on a phone (390 px) and a laptop (1366 px):
results in the first screen, the filters in force as chips, few Tab presses to the first result, the filters
panel with and without JavaScript, and no accessibility violation (axe)."""

import re

import pytest
from playwright.sync_api import expect

from institutions.models import Organisation
from tests.test_browser import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "fr": {"box": "Rechercher des organisations", "search": "Rechercher", "filters": "Filtres", "lyon": "Ville de Lyon",
           "remove": "Retirer Pays : France"},
    "en": {"box": "Search organisations", "search": "Search", "filters": "Filters", "lyon": "City of Lyon",
           "remove": "Remove Country: France"},
}  # fmt: skip


def first_result(page):
    return page.locator("ol.result-list li.result h3 a").first


def tabs_to_first_result(page, limit=40):
    """Tab presses from the top of the page until the first result's link has the focus (None: never)."""
    target = first_result(page).get_attribute("href")
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.getAttribute('href')") == target:
            return presses
    return None


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_on_a_phone_the_first_result_is_in_the_first_screen_after_a_search(open_page, live_server, directory, lang):
    page = open_page("phone", lang)
    page.goto(f"{live_server.url}/{lang}/")
    page.get_by_label(WORDS[lang]["box"]).fill("Lyon")
    page.get_by_role("button", name=WORDS[lang]["search"], exact=True).click()
    page.wait_for_url(re.compile(r"q=Lyon"))
    link = first_result(page)
    assert link.inner_text() == WORDS[lang]["lyon"]
    box = link.bounding_box()
    assert page.evaluate("window.scrollY") == 0
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    # The filters wait behind their disclosure, above the results.
    assert page.locator("#filters").get_attribute("open") is None
    assert page.locator("#filters > summary").bounding_box()["y"] < box["y"]


@pytest.mark.parametrize("size", ["phone", "laptop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_chip_removes_its_criterion(open_page, live_server, directory, size, lang):
    Organisation.objects.create(
        name_fr="Commune de Thiès", name_en="Thiès Municipality", kind="municipality", country="SN"
    )
    page = open_page(size, lang)
    page.goto(f"{live_server.url}/{lang}/?country=FR&kind=municipality")
    chips = page.locator(".chips a.chip")
    assert chips.count() == 2
    assert page.locator(".chips a.clear-all").is_visible()
    page.get_by_role("link", name=WORDS[lang]["remove"]).click()
    page.wait_for_url(re.compile(rf"/{lang}/\?kind=municipality$"))
    assert page.locator(".chips a.chip").count() == 1
    assert page.locator(".chips a.clear-all").count() == 0
    # The removed country no longer narrows the list: a municipality outside France is listed again.
    assert page.locator("ol.result-list li.result").count() == 2
    page.locator(".chips a.chip").click()
    page.wait_for_url(f"{live_server.url}/{lang}/")
    assert page.locator(".chips").count() == 0


@pytest.mark.parametrize("size", ["phone", "laptop"])
@pytest.mark.parametrize("query", ["q=Lyon&country=FR", "country=FR&kind=municipality"])
def test_ten_tab_presses_at_most_reach_the_first_result(open_page, live_server, directory, size, query):
    page = open_page(size)
    page.goto(f"{live_server.url}/en/?{query}")
    presses = tabs_to_first_result(page)
    assert presses is not None and presses <= 10


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_skip_link_goes_to_the_results(open_page, live_server, directory, lang):
    page = open_page("phone", lang)
    page.goto(f"{live_server.url}/{lang}/?country=FR")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results"
    page.keyboard.press("Tab")  # the first chip, then the first result
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == first_result(page).get_attribute("href")


def test_on_a_laptop_the_panel_is_open_and_its_apply_button_always_in_view(open_page, live_server, directory):
    page = open_page("laptop")
    page.goto(f"{live_server.url}/en/")
    assert page.locator("#filters").get_attribute("open") is not None
    apply = page.get_by_role("button", name="Apply filters")
    for scroll in (0, 400, 800):
        page.evaluate(f"window.scrollTo(0, {scroll})")
        box = apply.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"], scroll
    # Beside the results, not above them.
    assert page.locator("#filters").bounding_box()["x"] > first_result(page).bounding_box()["x"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_ticking_a_box_applies_it_and_keeps_the_focus_there(open_page, live_server, directory, lang):
    page = open_page("phone", lang)
    page.goto(f"{live_server.url}/{lang}/")
    page.get_by_text(WORDS[lang]["filters"], exact=True).click()
    page.locator("#id_country_SN").check()
    page.wait_for_url(re.compile(r"country=SN"))
    assert page.locator("#filters").get_attribute("open") is not None
    assert page.evaluate("document.activeElement.id") == "id_country_SN"
    assert page.locator("#id_country_SN").is_checked()
    assert page.locator(".chips a.chip").count() == 1


def test_without_javascript_the_panel_opens_and_the_button_applies(open_page, live_server, directory):
    page = open_page("phone", javascript=False)
    page.goto(f"{live_server.url}/en/")
    assert not page.locator("#id_country_SN").is_visible()
    page.get_by_text("Filters", exact=True).click()
    page.locator("#id_country_SN").check()
    assert page.url == f"{live_server.url}/en/"  # nothing happens before the button
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"country=SN"))
    assert page.locator(".chips a.chip").count() == 1


@pytest.fixture
def many_countries(db):
    """Organisations in 15 countries, more than a facet shows before "Show all values"."""
    countries = ["SN", "ML", "BF", "CI", "NE", "TG", "BJ", "CM", "GN", "MR", "TD", "GA", "CG", "CD", "MA"]
    Organisation.objects.bulk_create([
        Organisation(slug=f"{country.lower()}-{i}", name_en=f"Town {country} {i}", kind="municipality",
                     country=country)
        for n, country in enumerate(countries) for i in range(len(countries) - n)
    ])  # fmt: skip
    from institutions.facets import rebuild_facet_values

    rebuild_facet_values()


@pytest.mark.parametrize(
    ("lang", "typed", "found"),
    [("fr", "maro", "id_country_MA"), ("en", "MOROC", "id_country_MA"), ("fr", "cote", "id_country_CI")],
)
def test_typing_in_a_long_facet_finds_values_beyond_the_most_frequent(
    open_page, live_server, many_countries, lang, typed, found
):
    page = open_page("laptop", lang)
    page.goto(f"{live_server.url}/{lang}/")
    values = page.locator("#facet-country li")
    assert values.count() == 10 and page.locator("#id_country_MA").count() == 0  # Morocco: the least frequent
    page.locator("#find-country").fill(typed)
    expect(page.locator("#facet-country li:visible")).to_have_count(1)
    assert page.locator(f"#{found}").is_visible()
    page.locator("#find-country").fill("")
    expect(page.locator("#facet-country li:visible")).to_have_count(15)
    page.locator(f"#{found}").check()
    page.wait_for_url(re.compile(rf"country={found[-2:]}"))


@pytest.mark.parametrize("size", ["phone", "laptop"])
@pytest.mark.parametrize("path", ["/en/", "/fr/", "/en/?q=Lyon&country=FR", "/fr/?country=FR&kind=municipality"])
def test_axe_finds_no_violations_at_both_widths(open_page, live_server, directory, size, path):
    lang = path[1:3]
    page = open_page(size, lang)
    page.goto(f"{live_server.url}{path}")
    assert_no_axe_violations(page)
    if size == "phone":  # and with the filters panel open
        page.locator("#filters > summary").click()
        assert_no_axe_violations(page)


def test_without_javascript_on_a_laptop_the_filters_are_beside_the_results(open_page, live_server, directory):
    page = open_page("laptop", javascript=False)
    page.goto(f"{live_server.url}/en/")
    assert page.locator("#filters").get_attribute("open") is None  # no script opened it...
    assert page.locator("#id_country_SN").is_visible()  # ...the stylesheet shows it on a wide screen
    page.locator("#id_country_SN").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"country=SN"))
    assert page.locator(".chips a.chip").count() == 1


def test_printing_the_search_page_prints_the_results_only(open_page, live_server, directory):
    page = open_page("laptop")
    page.goto(f"{live_server.url}/en/?country=FR&kind=municipality")
    page.emulate_media(media="print")
    assert first_result(page).is_visible()
    for tool in ("#filters", ".chips", ".result-tools", "#search-form"):
        assert page.locator(tool).is_hidden(), tool
