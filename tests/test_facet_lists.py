"""Long facets (filters.SHORT_FACET): the most frequent values first, all of them one link away, in both
languages, without JavaScript."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from directory.criteria import SHORT_FACET, SHORT_FACET_SLACK
from institutions.models import Organisation
from tests.factories import refreshed_once

# Organisations per country: 15 countries, more than SHORT_FACET + SHORT_FACET_SLACK (13). Ties: NE/TG at 5,
# CM/GN at 3, MR/TD at 2: a tie is broken by the facet's own order, the countries' names in the language.
COUNTS = {
    "SN": 9, "ML": 8, "BF": 7, "CI": 6, "NE": 5, "TG": 5, "BJ": 4, "CM": 3, "GN": 3, "MR": 2, "TD": 2,
    "GA": 1, "CG": 1, "CD": 1, "MA": 1,
}  # fmt: skip
TOP = {
    # Mauritanie before Tchad in French; Chad before Mauritania in English.
    "fr": ["SN", "ML", "BF", "CI", "NE", "TG", "BJ", "CM", "GN", "MR"],
    "en": ["SN", "ML", "BF", "CI", "NE", "TG", "BJ", "CM", "GN", "TD"],
}
WORDS = {
    "fr": {"all": "Afficher toutes les valeurs (15)", "fewer": "Afficher les valeurs les plus fréquentes"},
    "en": {"all": "Show all values (15)", "fewer": "Show the most frequent values"},
}


@pytest.fixture
def towns(db):
    with refreshed_once():  # one refresh of the 66 organisations, not 66 refreshes
        for country, n in COUNTS.items():
            for i in range(n):
                Organisation.objects.create(
                    slug=f"{country.lower()}-{i}", name_fr=f"Commune {country} {i}", name_en=f"Town {country} {i}",
                    kind="municipality", country=country,
                )  # fmt: skip


def country_values(response):
    return [item["value"] for item in response.context["facets"]["country"]]


def country_fieldset(response):
    html = response.content.decode()
    return re.search(r'<fieldset class="facet" id="facet-country">.*?</fieldset>', html, re.S).group(0)


def toggle(response):
    """(href, text) of the country facet's link."""
    link = re.search(r'<p class="facet-toggle"><a href="([^"]+)"[^>]*>([^<]+)</a>', country_fieldset(response))
    href, text = link.groups()
    return href.replace("&amp;", "&"), text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_long_facet_shows_its_most_frequent_values_most_first(client, towns, lang):
    response = client.get(f"/{lang}/", follow=True)
    assert country_values(response) == TOP[lang]
    assert [item["count"] for item in response.context["facets"]["country"]] == [COUNTS[c] for c in TOP[lang]]
    fieldset = country_fieldset(response)
    for hidden in set(COUNTS) - set(TOP[lang]):
        assert f'value="{hidden}"' not in fieldset
    assert 'aria-describedby="legend-country"' in fieldset
    assert response.context["facet_toggles"]["kind"] is None  # one kind: nothing to open


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_value_is_one_link_away_and_the_short_list_one_link_back(client, towns, lang):
    href, text = toggle(client.get(f"/{lang}/?kind=municipality", follow=True))
    assert text == WORDS[lang]["all"]
    url = urlsplit(href)
    assert url.fragment == "facet-country"
    assert parse_qs(url.query) == {"more": ["country"], "kind": ["municipality"]}  # the criteria stay

    expanded = client.get(f"{url.path}?{url.query}", follow=True)
    values = country_values(expanded)
    assert sorted(values) == sorted(COUNTS)  # all of them, in the facet's own order (by name)
    expanded_page = client.get(f"/{lang}/?more=country", follow=True)
    assert values == [item["value"] for item in expanded_page.context["facets"]["country"]]
    assert values.index("BJ") < values.index("SN")  # Bénin / Benin before Sénégal / Senegal: by name
    back, text = toggle(expanded)
    assert text == WORDS[lang]["fewer"]
    assert parse_qs(urlsplit(back).query) == {"kind": ["municipality"]}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_chosen_value_beyond_the_most_frequent_is_shown_ticked(client, towns, lang):
    response = client.get(f"/{lang}/?country=GA", follow=True)
    items = response.context["facets"]["country"]
    assert [item["value"] for item in items] == [*TOP[lang], "GA"]
    assert [item["value"] for item in items if item["selected"]] == ["GA"]
    assert 'value="GA" id="id_country_GA" checked' in country_fieldset(response)
    assert response.context["page"].paginator.count == 1
    assert "GA" not in country_values(client.get(f"/{lang}/", follow=True))


def test_an_opened_facet_stays_open_through_the_form_and_the_pages(client, towns):
    response = client.get("/en/?more=country", follow=True)
    html = response.content.decode()
    assert '<input type="hidden" name="more" value="country">' in html  # submitting the form keeps it
    assert response.context["next_url"] == "/en/?page=2&more=country"
    assert all("more=country" in link["url"] for link in response.context["page_links"] if "url" in link)
    assert '<input type="hidden" name="more"' not in client.get("/en/", follow=True).content.decode()


@pytest.mark.parametrize("query", ["more=nothing", "more=", "more=country&more=country&more=COUNTRY", "more=%00"])
def test_unknown_or_repeated_facet_names_are_ignored(client, towns, query):
    response = client.get(f"/en/?{query}", follow=True)
    assert response.status_code == 200
    assert response.context["expanded"] == (["country"] if "more=country" in query else [])


@pytest.mark.parametrize(("dropped", "shown"), [(("MA",), SHORT_FACET), (("MA", "CD"), len(COUNTS) - 2)])
def test_a_facet_only_a_little_longer_is_shown_whole(client, towns, dropped, shown):
    """14 countries are cut to the most frequent 10; 13 (SHORT_FACET + SHORT_FACET_SLACK) are all shown,
    with no link: a click to see three more values is a waste."""
    assert len(COUNTS) - 2 == SHORT_FACET + SHORT_FACET_SLACK
    Organisation.objects.filter(country__in=dropped).delete()
    response = client.get("/en/", follow=True)
    assert len(country_values(response)) == shown
    assert ("facet-toggle" in country_fieldset(response)) is (shown == SHORT_FACET)


def test_the_most_frequent_values_follow_edits_at_once(client, towns):
    """The first page's ranking is kept with the facet index (filters._top_places): an edit renews it."""
    assert "MA" not in country_values(client.get("/en/", follow=True))
    for i in range(10):
        Organisation.objects.create(slug=f"ma-more-{i}", name_en=f"Town MA more {i}", kind="municipality", country="MA")
    assert country_values(client.get("/en/", follow=True))[:2] == ["MA", "SN"]  # 11, then 9
    Organisation.objects.filter(slug__startswith="ma-more-").delete()
    assert "MA" not in country_values(client.get("/en/", follow=True))
