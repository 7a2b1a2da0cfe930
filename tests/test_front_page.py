"""The front page (the search page without criteria) and the search page's layout: the directory's figures,
the way in for partners, the filters in force as removable chips, the filters panel."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from institutions.cache import bump_generation
from institutions.models import Organisation
from tests.factories import add_experience
from tests.test_search import LABEL_QUERIES, PAGE_QUERIES

WORDS = {
    "fr": {"lead": "L’annuaire de Platforma présente les collectivités territoriales",
           "join": "Inscrire votre organisation", "login": "Accès partenaires",
           "kind": "Type d&#x27;organisation : Commune", "clear": "Tout effacer", "filters": "Filtres (2)",
           "skip": "Aller aux résultats"},
    "en": {"lead": "Platforma’s directory lists local and regional authorities", "join": "List your organisation",
           "login": "Partner access", "kind": "Kind of organisation: Municipality", "clear": "Clear all",
           "filters": "Filters (2)", "skip": "Skip to the results"},
}  # fmt: skip


def text(response):
    return re.sub(r"\s+", " ", response.content.decode().replace("\u202f", " ").replace("\u00a0", " "))


@pytest.fixture
def small_directory(db):
    """Three published organisations in two countries with three experiences in all, and one unpublished
    organisation in a third country with two experiences: the figures count only what the public sees."""
    dakar = Organisation.objects.create(name_fr="Ville de Dakar", slug="dakar", country="SN", kind="municipality")
    thies = Organisation.objects.create(name_fr="Ville de Thiès", slug="thies", country="SN", kind="municipality")
    Organisation.objects.create(name_fr="Ville de Lyon", slug="lyon", country="FR", kind="regional")
    hidden = Organisation.objects.create(
        name_fr="Ville de Bamako", slug="bamako", country="ML", kind="municipality", published=False
    )
    for organisation, title in [(dakar, "Eau"), (dakar, "Écoles"), (thies, "Routes"), (hidden, "A"), (hidden, "B")]:
        add_experience(organisation, title=title)


def figures(response):
    return {
        name: int(re.sub(r"\D", "", number))
        for number, name in re.findall(r"<strong>([\d\s\u202f\u00a0,]+)</strong> (\w+)", response.content.decode())
    }


@pytest.mark.parametrize(
    ("lang", "words"),
    [("fr", ("organisations", "pays", "expériences")), ("en", ("organisations", "countries", "experiences"))],
)
def test_the_front_page_counts_what_the_public_sees(client, small_directory, lang, words):
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    assert figures(response) == dict(zip(words, (3, 2, 3), strict=True))


def test_unpublishing_an_organisation_takes_it_out_of_the_figures(client, small_directory):
    Organisation.objects.filter(slug="lyon").update(published=False)
    assert figures(client.get("/en/")) == {"organisations": 2, "country": 1, "experiences": 3}
    Organisation.objects.filter(slug="bamako").update(published=True)
    assert figures(client.get("/en/")) == {"organisations": 3, "countries": 2, "experiences": 5}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_front_page_says_what_the_directory_is_and_how_to_be_listed(client, small_directory, lang, settings):
    settings.CONTACT_EMAIL = "hello@example.org"
    body = text(client.get(f"/{lang}/"))
    translation.activate(lang)
    assert WORDS[lang]["lead"] in body
    assert WORDS[lang]["join"] in body
    assert f'<a href="{reverse("partners:login")}">{WORDS[lang]["login"]}</a>' in body.split("</header>")[1]
    assert '<a href="mailto:hello@example.org">hello@example.org</a>' in body
    # The search box comes before the figures and the way in for partners.
    assert body.index('id="id_q"') < body.index("<strong>") < body.index(WORDS[lang]["join"])


@pytest.mark.parametrize("query", ["country=SN", "page=2", "sort=-updated"])
def test_a_search_is_not_the_front_page(client, small_directory, query):
    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"commune-{n}", country="SN") for n in range(20)]
    )
    response = client.get(f"/en/?{query}")
    assert response.status_code == 200
    assert response.context["counts"] is None
    assert "List your organisation" not in response.content.decode()
    assert "Institutional Database – Search" in response.content.decode()


# The front page's queries: the search page's (tests/test_search.py) and the figures (2: organisations and
# countries, experiences); the facet counts (2 of the search page's: the facets', "Worked with") and the
# figures are kept for the directory's generation.
FRONT_QUERIES = PAGE_QUERIES + 2


def test_the_figures_are_counted_once_per_directory_generation(
    client, small_directory, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Guards against counting the whole directory on every visit: the second visit reads the figures (and the
    facet counts) from the cache; a change to the data counts them again."""
    settings.FACET_COUNTS_CACHE = True
    client.get("/fr/")  # the sector and donor names, cached for the generation whatever the setting
    client.get("/en/")
    bump_generation()  # a new generation: nothing cached is read again
    with django_assert_num_queries(FRONT_QUERIES + LABEL_QUERIES):  # + the names again, for the new generation
        first = client.get("/en/")
    with django_assert_num_queries(FRONT_QUERIES - 4):  # figures (2) and facet counts (2) from the cache
        second = client.get("/en/")
    assert figures(first) == figures(second) == {"organisations": 3, "countries": 2, "experiences": 3}
    with django_capture_on_commit_callbacks(execute=True):
        add_experience(Organisation.objects.get(slug="lyon"), title="Ponts")
    assert figures(client.get("/en/"))["experiences"] == 4


# --- the filters in force, as chips --------------------------------------------------------------------


def chips(response):
    return [(chip["pair"], str(chip["value"]), chip["url"]) for chip in response.context["chips"]]


def criteria(url):
    return sorted(parse_qsl(urlsplit(url).query))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_chip_is_the_same_search_without_its_value(client, small_directory, lang):
    everything = [("active_from", "2001"), ("country", "FR"), ("country", "SN"), ("kind", "municipality"),
                  ("q", "ville")]  # fmt: skip
    response = client.get(f"/{lang}/?q=ville&country=FR&country=SN&kind=municipality&active_from=2001")
    assert response.status_code == 200
    found = response.context["chips"]
    # Every filter in force is a chip; the text is in the search box, not a chip.
    assert sorted(chip["pair"] for chip in found) == [pair for pair in everything if pair[0] != "q"]
    labels = {chip["pair"]: (str(chip["name"]), str(chip["value"])) for chip in found}
    senegal = "Sénégal" if lang == "fr" else "Senegal"
    assert labels[("country", "SN")] == ("Pays" if lang == "fr" else "Country", senegal)
    assert labels[("kind", "municipality")][1] == ("Commune" if lang == "fr" else "Municipality")
    assert labels[("active_from", "2001")][1] == "2001"
    for chip in found:
        assert criteria(chip["url"]) == [pair for pair in everything if pair != chip["pair"]]
        followed = client.get(chip["url"])
        assert followed.status_code == 200  # canonical: no redirect
        assert sorted(followed.context["filterset"].criteria_pairs) == criteria(chip["url"])
    body = text(response)
    assert WORDS[lang]["kind"] in body
    assert f'<a class="clear-all" href="/{lang}/">{WORDS[lang]["clear"]}</a>' in body


def test_removing_the_text_drops_the_sort_that_only_differs_with_it(client, small_directory):
    """sort=name is written with a text (relevance is then the default) but not without one: the chip's link
    is still canonical (OrganisationFilter.querystring writes it)."""
    response = client.get("/en/?q=ville&kind=municipality&sort=name")
    (url,) = [url for pair, value, url in chips(response)]
    assert criteria(url) == [("q", "ville"), ("sort", "name")]
    assert client.get(url).status_code == 200


def test_one_chip_has_no_clear_all_and_no_chip_without_filters(client, small_directory):
    one = client.get("/en/?country=SN")
    assert len(chips(one)) == 1
    assert 'class="clear-all"' not in one.content.decode()
    assert "Filters (1)" in one.content.decode()
    for query in ["", "?q=ville", "?sort=-updated"]:
        response = client.get(f"/en/{query}")
        assert chips(response) == []
        assert 'class="chips"' not in response.content.decode()
        assert "<summary>Filters</summary>" in response.content.decode()


def test_a_value_that_names_nothing_is_a_chip_as_typed(client, small_directory):
    response = client.get("/en/?sector=99999")
    assert [(value, criteria(url)) for pair, value, url in chips(response)] == [("99999", [])]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_panel_counts_the_filters_and_the_skip_link_goes_to_the_results(client, small_directory, lang):
    body = text(client.get(f"/{lang}/?q=ville&country=SN&kind=municipality"))
    assert f"<summary>{WORDS[lang]['filters']}</summary>" in body
    assert f'<a class="skip-link" href="#results">{WORDS[lang]["skip"]}</a>' in body
    assert 'id="results"' in body
    # Results come before the filters in the page (the keyboard reaches them first), and every field of the
    # panel belongs to the search form.
    assert body.index('class="result-list"') < body.index('id="filters"')
    panel = body[body.index('id="filters"') :]
    fields = re.findall(r"<(?:input|select|button)\b[^>]*>", panel[: panel.index("</details>")])
    assert fields and all('form="search-form"' in field or "data-find" in field for field in fields)


def test_a_long_facet_has_a_find_box_for_scripts_and_a_short_one_has_none(client, db):
    Organisation.objects.bulk_create([
        Organisation(name_fr=f"Commune {code}", slug=f"c-{code.lower()}", country=code, kind="municipality")
        for code in ["SN", "ML", "BF", "CI", "NE", "TG", "BJ", "CM", "GN", "MR", "TD", "GA", "CG", "CD", "MA"]
    ])  # fmt: skip
    from institutions.facets import rebuild_facet_values

    rebuild_facet_values()
    body = client.get("/en/").content.decode()
    assert re.search(r'<p class="facet-find" hidden><label for="find-country"', body)
    assert 'for="find-kind"' not in body
    assert re.search(r'<a href="[^"]*more=country[^"]*" data-full-list', body)
    expanded = client.get("/en/?more=country").content.decode()
    assert 'for="find-country"' in expanded and "data-full-list" not in expanded
