"""In a real browser (Playwright + Debian chromium): language switch, print media, accessibility."""

import re

import pytest

from institutions.models import Organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG 2.2 AA, as DESIGN.md asks.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


def visible_text(page):
    return re.sub(r"[\u00a0\u202f]", " ", page.inner_text("body"))


def label(text):
    """A form field's label as shown, followed by its colon (" :" in French), for get_by_label."""
    return re.compile(rf"^{re.escape(text)}\W*$")


def test_switching_to_french_keeps_the_profile(page, live_server, aimf):
    page.goto(f"{live_server.url}/en/organisations/aimf/")
    assert "€1,100,000" in visible_text(page)
    page.get_by_role("link", name="FR", exact=True).click()
    page.wait_for_url(f"{live_server.url}/fr/organisations/aimf/")
    text = visible_text(page)
    assert "Informations générales" in text
    assert "Décentralisation et soutien aux administrations infranationales" in text
    assert "1 100 000 €" in text
    assert page.locator("html").get_attribute("lang") == "fr"


def test_print_media_hides_navigation_and_shows_link_targets(page, live_server, aimf):
    page.goto(f"{live_server.url}/en/organisations/aimf/")
    assert page.locator(".site-header").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".page-actions").is_hidden()
    assert page.locator(".site-footer").is_hidden()
    assert page.locator("#general-information").is_visible()
    after = "a => getComputedStyle(a, '::after').content"
    assert "http://www.aimf.asso.fr" in page.eval_on_selector("main a[href^='http']", after)
    assert page.eval_on_selector("a[href^='mailto:']", after) == "none"  # the address is its own text
    assert page.eval_on_selector("a[href^='tel:']", after) == "none"


def test_print_view_hides_its_tools_when_printed(page, live_server, aimf):
    page.goto(f"{live_server.url}/fr/organisations/aimf/print/")
    assert page.locator(".print-tools").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".print-tools").is_hidden()
    assert "1 100 000 €" in visible_text(page)


def assert_no_axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    violations = [
        (v["id"], v["help"], [node["target"] for node in v["nodes"]][:5])
        for v in results.response["violations"]
    ]
    assert violations == []


@pytest.mark.parametrize("path", [
    "/en/organisations/aimf/",
    "/fr/organisations/aimf/",
    "/en/organisations/aimf/print/",
    "/fr/organisations/aimf/print/",
    "/en/",
    "/fr/",
])
def test_axe_finds_no_violations(page, live_server, aimf, path):
    page.goto(f"{live_server.url}{path}")
    assert_no_axe_violations(page)


def test_axe_finds_no_violations_when_printed(page, live_server, aimf):
    page.goto(f"{live_server.url}/en/organisations/aimf/print/")
    page.emulate_media(media="print")
    assert_no_axe_violations(page)


def test_axe_does_report_a_violation(page):
    """The checker itself works: an image without alternative text and a nameless link are reported."""
    from axe_playwright_python.sync_playwright import Axe

    page.set_content('<!doctype html><html lang="en"><title>t</title><main><img src="x.png"><a href="/"></a>')
    ids = {v["id"] for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]}
    assert {"image-alt", "link-name"} <= ids


def test_search_filter_switch_language_and_open_a_profile(page, live_server, aimf):
    """A visitor's path: search, narrow by a facet, switch language keeping the search, open a profile."""
    Organisation.objects.create(
        name_fr="Commune de Téranga", name_en="Teranga Municipality", country="SN", kind="municipality"
    )
    page.goto(f"{live_server.url}/en/")
    page.get_by_label("Search organisations").fill("mayors")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/en/\?.*q=mayors"))
    text = visible_text(page)
    assert "International Association of Francophone Mayors" in text
    assert "Teranga Municipality" not in text

    # A facet narrows the list: the organisation's country, one value shows AIMF, another hides it.
    page.goto(f"{live_server.url}/en/")
    page.locator('input[name="country"][value="SN"]').check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"country=SN"))
    text = visible_text(page)
    assert "Teranga Municipality" in text
    assert "International Association of Francophone Mayors" not in text

    page.locator('input[name="country"][value="SN"]').uncheck()
    page.locator('input[name="country"][value="FR"]').check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"country=FR"))

    page.get_by_role("link", name="FR", exact=True).click()
    page.wait_for_url(re.compile(r"/fr/\?.*country=FR"))
    assert page.locator("html").get_attribute("lang") == "fr"
    text = visible_text(page)
    assert "Association internationale des maires francophones" in text
    assert "Commune de Téranga" not in text

    page.get_by_role("link", name="Association internationale des maires francophones").click()
    page.wait_for_url(f"{live_server.url}/fr/organisations/aimf/")
    assert "Informations générales" in visible_text(page)


@pytest.fixture
def many_countries(db):
    """Organisations in 15 countries, more than a facet shows before "Show all values"."""
    countries = ["SN", "ML", "BF", "CI", "NE", "TG", "BJ", "CM", "GN", "MR", "TD", "GA", "CG", "CD", "MA"]
    for n, country in enumerate(countries):
        for i in range(len(countries) - n):
            Organisation.objects.create(
                slug=f"{country.lower()}-{i}", name_en=f"Town {country} {i}", kind="municipality", country=country
            )


@pytest.mark.parametrize(("lang", "show_all", "fewer"), [
    ("en", "Show all values (15)", "Show the most frequent values"),
    ("fr", "Afficher toutes les valeurs (15)", "Afficher les valeurs les plus fréquentes"),
])
def test_a_long_facet_opens_in_full_and_back_without_javascript_errors(page, live_server, many_countries, lang,
                                                                       show_all, fewer):
    page.goto(f"{live_server.url}/{lang}/")
    countries = page.locator("#facet-country input[type=checkbox]")
    assert countries.count() == 10
    assert_no_axe_violations(page)
    page.locator("#facet-country").get_by_role("link", name=show_all).click()
    page.wait_for_url(re.compile(r"more=country#facet-country$"))
    assert countries.count() == 15
    assert_no_axe_violations(page)
    # Ticking a value and applying keeps the list open; the filter narrows the results to that country.
    page.locator("#id_country_MA").check()
    page.get_by_role("button", name=re.compile("Apply filters|Appliquer")).click()
    page.wait_for_url(re.compile(r"country=MA"))
    assert countries.count() == 15
    assert page.locator("ol.result-list li.result").count() == 1
    page.locator("#facet-country").get_by_role("link", name=fewer).click()
    page.wait_for_url(re.compile(r"country=MA#facet-country$"))
    assert countries.count() == 11  # the 10 most frequent, and the chosen one
    assert page.locator("#id_country_MA").is_checked()
