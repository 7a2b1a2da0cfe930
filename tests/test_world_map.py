"""The world map of the statistics page and the search page's thumbnail (directory/world_map.py): the shapes
file, the classes, the demo data's countries on the map with the table's numbers, the country links, both
languages, and the thumbnail costing the search page no query."""

import datetime
import itertools
import re
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.world_map import CLASSES, Level, classes, level_of, shapes

SVG = "{http://www.w3.org/2000/svg}"


def world_map(html):
    """The statistics page's map, parsed as XML (a map that is not well-formed fails here)."""
    (svg,) = re.findall(r'<svg [^>]*aria-labelledby="map-title".*?</svg>', html, flags=re.DOTALL)
    return ElementTree.fromstring(svg)


def drawn(svg):
    """{title: (css class, link)} of the map's countries."""
    found = {}
    for link in svg.findall(f"{SVG}a"):
        found[link.find(f"{SVG}title").text] = (link.find(f"{SVG}path").get("class"), link.get("href"))
    for path in svg.findall(f"{SVG}path"):
        if path.find(f"{SVG}title") is not None:
            found[path.find(f"{SVG}title").text] = (path.get("class"), None)
    return found


def statistics(client, lang, params=None):
    response = client.get(f"/{lang}/statistics/", params or {})
    assert response.status_code == 200  # canonical: no redirect
    return response


def test_the_shapes_file_names_every_country_by_alpha_2():
    data = shapes()
    assert (data["width"], data["height"]) == (960, 426)
    assert {"BF", "CI", "CM", "CG", "SN", "FR", "XK", "CV", "MU", "ST", "SC", "KM", "MV"} <= data["countries"].keys()
    assert data["countries"].keys() == data["small"].keys()
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in data["countries"])
    assert all(path.startswith("M") and path.endswith("Z") for path in data["countries"].values())
    assert "AQ" not in data["countries"]


@pytest.mark.parametrize(
    "counts,levels",
    [
        ([], []),
        ([0, 0], []),
        ([3], [Level(5, 3, 3)]),  # one number: the darkest
        ([1, 2], [Level(1, 1, 1), Level(5, 2, 2)]),  # fewer numbers than classes: spread, the largest darkest
        ([1] * 15 + [2] * 5 + [3] * 2 + [5] * 2 + [6], [Level(1, 1, 1), Level(3, 2, 2), Level(5, 3, 6)]),
        (list(range(1, 11)), [Level(n, 2 * n - 1, 2 * n) for n in range(1, CLASSES + 1)]),  # quintiles
    ],
)
def test_classes_are_quintiles_of_the_countries_counted(counts, levels):
    assert classes(counts) == levels


@given(st.lists(st.integers(min_value=0, max_value=10**6), max_size=250))
def test_every_number_counted_has_one_class_the_largest_the_darkest(counts):
    levels = classes(counts)
    assert len(levels) <= CLASSES
    assert all(a.high < b.low and a.level < b.level for a, b in itertools.pairwise(levels))
    found = [(n, level_of(n, levels)) for n in sorted(counts)]
    assert all(1 <= level <= CLASSES for n, level in found if n) and all(level == 0 for n, level in found if not n)
    assert [level for _n, level in found] == sorted(level for _n, level in found)  # more is never lighter
    if any(counts):
        assert level_of(max(counts), levels) == CLASSES


def test_a_number_just_above_a_class_is_in_the_next():
    levels = classes(range(1, 11))  # 1–2, 3–4, 5–6, 7–8, 9–10
    assert [level_of(n, levels) for n in (0, 1, 2, 3, 4, 5, 10)] == [0, 1, 1, 2, 2, 3, 5]


def test_the_aimfs_countries_carry_its_experiences_with_the_right_classes(client, demo):
    """Its two experiences are in CI and BF, and in CM and CG: alone under these criteria, each of its
    countries counts one experience, in the darkest class; over the whole directory BF (6 experiences) is in
    the darkest class and CM and CG (1 each) in the lightest, the numbers the table gives."""
    response = statistics(client, "en", {"country": "FR", "kind": "international_network"})
    table = {row.key: row.count for row in response.context["tables"][1].rows}
    assert table == {"BF": 1, "CI": 1, "CM": 1, "CG": 1}
    found = drawn(world_map(response.content.decode()))
    for name in ("Burkina Faso", "Ivory Coast", "Cameroon", "Congo"):
        assert found[f"{name}: 1 experience"][0] == "map-level-5"
    assert found["Senegal: no experience"] == ("map-level-0", None)

    response = statistics(client, "en")
    counts = {country.code: country.count for country in response.context["map"].countries if country.count}
    assert counts == {row.key: row.count for row in response.context["tables"][1].rows if row.key}
    found = drawn(world_map(response.content.decode()))
    assert found["Burkina Faso: 6 experiences"][0] == "map-level-5"
    assert found["Cameroon: 1 experience"][0] == found["Congo: 1 experience"][0] == "map-level-1"
    assert len(found) == len(shapes()["countries"])  # every country once


def test_a_country_link_narrows_the_statistics_and_the_search(client, demo):
    response = statistics(client, "en", {"role": "partner"})
    links = {title: href for title, (_cls, href) in drawn(world_map(response.content.decode())).items() if href}
    (burkina,) = [href for title, href in links.items() if title.startswith("Burkina Faso:")]
    assert burkina == "/en/statistics/?worked_in=BF&role=partner"
    narrowed = statistics(client, "en", {"worked_in": "BF", "role": "partner"})
    by_country = {row.key: row.count for row in narrowed.context["tables"][1].rows}
    before = {row.key: row.count for row in response.context["tables"][1].rows}
    assert by_country["BF"] == before["BF"]
    assert sum(row.count for row in narrowed.context["tables"][2].rows) == before["BF"]  # by year: once each
    assert by_country.keys() < before.keys()
    search = narrowed.context["links"]["organisations"]
    assert search == "/en/?worked_in=BF&role=partner"
    results = client.get(search)
    assert results.status_code == 200
    assert results.context["page"].paginator.count < client.get("/en/?role=partner").context["page"].paginator.count


def test_a_country_in_force_links_to_the_same_criteria(client, demo):
    response = statistics(client, "fr", {"worked_in": "BF"})
    found = drawn(world_map(response.content.decode()))
    assert found["Burkina Faso : 6 expériences"] == ("map-level-5", "/fr/statistics/?worked_in=BF")
    assert found["Côte d'Ivoire : 2 expériences"][1] == "/fr/statistics/?worked_in=BF&worked_in=CI"


@pytest.mark.parametrize(
    "lang,words",
    [
        ("fr", ["Carte des expériences par pays d’action", "aucune expérience", "Sénégal : 5 expériences"]),
        ("en", ["Map of the experiences by country of action", "no experience", "Senegal: 5 experiences"]),
    ],
)
def test_the_map_and_its_legend_in_each_language(client, demo, lang, words):
    html = statistics(client, lang).content.decode()
    for word in words:
        assert word in html
    assert "style=" not in html


def test_countries_without_a_shape_are_listed_under_the_map(client, directory):
    from search_data import _experience

    _experience(directory["aimf"], "partner", datetime.date(2015, 1, 1), countries=["TV", "BF"], title_en="Tuvalu")
    html = statistics(client, "en").content.decode()
    assert "Too small or not drawn at this scale, counted in the table: Tuvalu (1)." in html


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_search_page_shows_a_thumbnail_linking_to_its_statistics(client, demo, lang):
    response = client.get(f"/{lang}/", {"role": "partner"})
    html = response.content.decode()
    thumbnail = response.context["thumbnail"]
    facet = response.context["facets"]["worked_in"]  # its most frequent values
    counted = {country.code: country.count for country in thumbnail.countries if country.count}
    assert {value["value"]: value["count"] for value in facet}.items() <= counted.items()
    assert thumbnail.counted == facet.available
    assert f'<a class="map-thumbnail" href="/{lang}/statistics/?role=partner">' in html
    assert html.index('class="map-thumbnail"') > html.index('class="result-list"')  # after the results
    assert html.count("<path") == len(shapes()["small"])  # the small shapes, no link of their own


def test_the_thumbnail_costs_the_search_page_no_query(client, demo, monkeypatch):
    """The thumbnail reads the worked_in facet counts the page reads anyway: counted once a request."""
    from directory.criteria import OrganisationFilter

    calls = []
    facet_counts = OrganisationFilter.facet_counts
    monkeypatch.setattr(OrganisationFilter, "facet_counts", lambda self: calls.append(1) or facet_counts(self))
    response = client.get("/en/", {"kind": "municipality", "role": "coordinator"})
    assert response.context["thumbnail"].counted > 0
    assert len(calls) == 1
