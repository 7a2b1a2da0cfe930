"""The network of a search (/<lang>/partnerships/?<criteria>, directory/network.py): its pairs are those
experiences/partnerships.py computes for the organisations the search selects, in both languages, drawn
and listed within their bounds, exported as CSV, and no parameter makes it fail."""

import csv
import io
import re

import pytest
from django.db import connection
from django.http import QueryDict
from factories import action, organisation

from directory import network as network_module
from directory.criteria import OrganisationFilter
from directory.network import SHORT_NAME
from experiences.models import Participant
from experiences.partnerships import partnerships
from institutions.models import Organisation
from tests.test_search import LABEL_QUERIES


def page(client, lang="en", params=None):
    response = client.get(f"/{lang}/partnerships/", params or {})
    assert response.status_code == 200, response.status_code
    return response


def shown_pairs(response):
    """{(a pk, b pk) with a < b: (shared actions, countries, first year, last year)} from the page."""
    return {
        tuple(sorted((pair.a.pk, pair.b.pk))): (pair.actions, set(pair.countries), pair.first_year, pair.last_year)
        for pair in response.context["network"].table
    }


def computed_pairs(organisations):
    """The same, from the one definition, for these organisations."""
    return {
        key: (len(p.actions), p.countries, p.first_year, p.last_year)
        for key, p in partnerships([o.pk for o in organisations]).items()
    }


def published():
    return Organisation.objects.published()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_table_holds_the_pairs_computed_from_the_data(client, web, lang):
    response = page(client, lang)
    expected = computed_pairs(published())
    assert expected  # the data has partnerships to show
    assert shown_pairs(response) == expected
    html = response.content.decode()
    table = html[html.index("<table") : html.index("</table>")]
    assert table.count("<tr>") == len(expected) + 1  # a row per pair, and the header's
    assert response.context["network"].selected == published().count()
    # The same pairs as every partner of each (a profile's way, other queries), kept when both are shown.
    ids = set(published().values_list("pk", flat=True))
    each = partnerships(ids, both_in_set=False)
    assert {key: (len(p.actions), p.countries, p.first_year, p.last_year) for key, p in each.items()
            if set(key) <= ids} == expected


def test_the_rows_come_most_shared_actions_first_then_by_names(client, web):
    pairs = page(client).context["network"].table
    keys = [(-pair.actions, pair.a.name.casefold(), pair.b.name.casefold()) for pair in pairs]
    assert keys == sorted(keys)
    assert (pairs[0].a.pk, pairs[0].b.pk) == (web["lyon"].pk, web["ouaga"].pk)  # two shared actions
    assert all(pair.a.name.casefold() <= pair.b.name.casefold() for pair in pairs)


def test_a_criterion_narrows_the_network_both_ways(client, web):
    in_bf = page(client, params={"country": "BF"})
    assert shown_pairs(in_bf) == computed_pairs(published().filter(country="BF"))
    assert set(shown_pairs(in_bf)) == {tuple(sorted((web["ouaga"].pk, web["banfora"].pk)))}
    everywhere = page(client)
    lyon_ouaga = tuple(sorted((web["lyon"].pk, web["ouaga"].pk)))
    assert lyon_ouaga in shown_pairs(everywhere) and lyon_ouaga not in shown_pairs(in_bf)
    kinds = page(client, params={"kind": "regional"})
    assert shown_pairs(kinds) == {}  # one regional authority: no pair
    assert "No two organisations of this search worked together" in kinds.content.decode()


def test_text_and_year_criteria_narrow_it_too(client, web):
    for query in ("active_to=2012", "q=Ouagadougou", "q=Lyon&country=FR"):
        selected = OrganisationFilter(QueryDict(query)).matching_ids()
        response = page(client, params=QueryDict(query))
        assert 0 < response.context["network"].selected == len(selected) < published().count()
        assert shown_pairs(response) == computed_pairs(published().filter(pk__in=selected))
    assert shown_pairs(page(client, params={"q": "Lyon"})) == {}  # Lyon alone: no pair


def test_an_unpublished_organisation_is_in_no_pair_and_not_drawn(client, web):
    response = page(client)
    hidden = web["hidden"]
    assert all(hidden.pk not in key for key in shown_pairs(response))
    html = response.content.decode()
    assert hidden.slug not in html and "Secret" not in html
    # Published, it joins the network: the test can fail.
    Organisation.objects.filter(pk=hidden.pk).update(published=True)
    assert any(hidden.pk in key for key in shown_pairs(page(client)))


def test_an_organisation_without_partner_and_an_unlisted_participant_make_no_pair(client, web):
    response = page(client)
    ids = {pk for key in shown_pairs(response) for pk in key}
    assert web["alone"].pk not in ids
    assert "Nulle-Part" not in response.content.decode()
    assert response.context["network"].linked == len(ids)


@pytest.mark.parametrize(
    ("lang", "heading", "name"),
    [("fr", "Réseau des partenariats", "Ville de Lyon"), ("en", "Network of partnerships", "City of Lyon")],
)
def test_both_languages(client, web, lang, heading, name):
    response = page(client, lang)
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert f">{name}</a>" in html
    assert f'href="/{lang}/organisations/{web["lyon"].slug}/"' in html


def test_the_drawing_links_each_node_to_its_profile_with_a_name_and_its_kind(client, web):
    response = page(client)
    html = response.content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    drawn = response.context["drawing"]
    assert len(drawn.points) == response.context["network"].linked
    for point in drawn.points:
        assert f'<a href="/en/organisations/{point.node.slug}/" aria-label="{point.label}">' in svg
        assert f'class="node-{point.node.kind}"' in svg
    assert len(drawn.lines) == len(shown_pairs(response))
    widths = {line.title.split(":")[0]: line.width for line in drawn.lines}
    assert widths["City of Lyon – City of Ouagadougou"] == 2  # as wide as their shared actions
    legend = html[html.index('class="network-legend"') :]
    assert "Regional authority" in legend and "Municipality" in legend


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_drawing_writes_its_numbers_with_a_point_and_names_its_nodes(client, web, lang):
    """SVG coordinates are numbers with a point in every language: a French "9,0" draws nothing. Beside
    each circle, its acronym or its name cut short."""
    web["cites"].acronym = "CUF"
    web["cites"].save()
    html = page(client, lang).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    numbers = re.findall(r'\b(?:cx|cy|r|x|y|x1|y1|x2|y2|stroke-width)="([^"]*)"', svg)
    assert numbers and all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", number) for number in numbers), numbers
    names = re.findall(r'<text [^>]*aria-hidden="true">([^<]*)</text>', svg)
    assert "CUF" in names and "Cités Unies" not in names  # the acronym stands for the name
    assert len(names) == len(re.findall("<circle ", svg))


def test_a_long_name_is_cut_beside_its_node_and_whole_in_its_link(client, web):
    name = "Communauté d'agglomération du Grand Lyon et des communes voisines"
    web["lyon"].name_fr = web["lyon"].name_en = name
    web["lyon"].save()
    html = page(client).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert f">{name[: SHORT_NAME - 1]}…</text>" in svg.replace("&#x27;", "'")
    assert f'aria-hidden="true">{name[:SHORT_NAME]}' not in svg.replace("&#x27;", "'")
    assert "aria-label=\"Communauté d&#x27;agglomération du Grand Lyon et des communes voisines (" in svg


def test_the_drawing_is_the_same_for_the_same_data(client, web):
    first = page(client).content.decode()
    second = page(client).content.decode()
    svg = re.compile(r"<svg.*?</svg>", re.S)
    assert svg.search(first).group() == svg.search(second).group()


@pytest.mark.parametrize("over", [False, True])
def test_the_drawing_bound_just_below_and_above(client, web, monkeypatch, over):
    linked = page(client).context["network"].linked
    monkeypatch.setattr(network_module, "NODE_LIMIT", linked - 1 if over else linked)
    response = page(client)
    drawn = response.context["drawing"]
    assert len(drawn.points) == (linked - 1 if over else linked)
    note = f"Showing {linked - 1} of {linked} organisations with partners"
    assert (note in response.content.decode()) is over
    kept = {point.node.pk for point in drawn.points}
    assert len(drawn.lines) == sum(
        1 for pair in response.context["network"].table if pair.a.pk in kept and pair.b.pk in kept
    )


@pytest.mark.parametrize("over", [False, True])
def test_the_table_bound_just_below_and_above(client, web, monkeypatch, over):
    total = page(client).context["network"].count
    monkeypatch.setattr(network_module, "TABLE_LIMIT", total - 1 if over else total)
    response = page(client)
    html = response.content.decode()
    table = html[html.index("<table") : html.index("</table>")]
    assert table.count("<tr>") == (total - 1 if over else total) + 1
    assert (f"of {total} (the CSV lists every one)" in html) is over


def csv_rows(response):
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_csv_lists_every_pair_of_the_page(client, web, lang):
    response = client.get(f"/{lang}/partnerships.csv", {"country": "FR"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="partnerships.csv"'
    rows = csv_rows(response)
    pairs = page(client, lang, {"country": "FR"}).context["network"].table
    assert response["X-Row-Count"] == str(len(pairs))
    slugs = {o.pk: o.slug for o in Organisation.objects.all()}
    assert [(row["organisation_a"], row["organisation_b"], int(row["shared_actions"])) for row in rows] == [
        (pair.a.slug, pair.b.slug, pair.actions) for pair in pairs
    ]
    expected = computed_pairs(published().filter(country="FR"))
    assert {tuple(sorted((r["organisation_a"], r["organisation_b"]))) for r in rows} == {
        tuple(sorted((slugs[a], slugs[b]))) for a, b in expected
    }
    everything = csv_rows(client.get(f"/{lang}/partnerships.csv"))
    assert len(everything) == len(computed_pairs(published())) > len(rows)
    lyon = next(row for row in everything if "lyon" in row["organisation_a"] + row["organisation_b"]
                and "ouagadougou" in row["organisation_a"] + row["organisation_b"])
    assert (lyon["countries"], lyon["first_year"], lyon["last_year"]) == ("BF | CI", "2010", "2015")
    assert lyon["organisation_a_url"].startswith(f"http://testserver/{lang}/organisations/")


@pytest.mark.parametrize("over", [False, True])
def test_the_csv_bound_just_below_and_above(client, web, settings, over):
    total = len(computed_pairs(published()))
    settings.EXPORT_STREAM_LIMIT = total - 1 if over else total
    response = client.get("/en/partnerships.csv")
    assert response.status_code == (400 if over else 200)
    if over:
        assert "Too many partnerships to export" in response.content.decode()
    else:
        assert len(csv_rows(response)) == total


def test_the_search_page_and_the_network_link_to_each_other(client, web):
    search = client.get("/en/", {"country": "FR", "sort": "-updated"})
    assert 'href="/en/partnerships/?country=FR"' in search.content.decode()
    response = page(client, params={"country": "FR"})
    html = response.content.decode()
    assert 'href="/en/?country=FR"' in html
    assert 'href="/en/partnerships.csv?country=FR"' in html


def test_a_query_written_otherwise_is_redirected_to_its_canonical_form(client, web):
    response = client.get("/en/partnerships/", {"sort": "name", "kind": "regional", "country": ""})
    assert response.status_code == 301
    assert response["Location"] == "/en/partnerships/?kind=regional"


@pytest.mark.parametrize(
    "query",
    [
        "country=ZZ", "kind=%00", "active_from=abc", "active_to=99999999999999999999", "donor=-1", "sector=x",
        "q=%FF%FE", "q=" + "a" * 5000, "role=chief&role=partner", "page=-1", "worked_in[]=BF", "country=FR&country=FR",
    ],
)  # fmt: skip
def test_malformed_parameters_never_fail(client, web, query):
    for url in (f"/en/partnerships/?{query}", f"/fr/partnerships.csv?{query}"):
        response = client.get(url, follow=True)
        assert response.status_code in (200, 400), (url, response.status_code)


# The organisations selected, their memberships (the listed participants, with their actions' owners), the
# countries of their shared actions, their names; the criteria's labels (sectors, donors, partners) are read
# once per directory generation (LABEL_QUERIES).
QUERIES = 4


def test_the_network_is_cached_until_the_data_changes(client, web, settings, django_capture_on_commit_callbacks):
    """Kept per directory generation (FACET_COUNTS_CACHE, as the first page's counts): a new participant, as
    any change, makes it stale."""
    settings.FACET_COUNTS_CACHE = True
    before = shown_pairs(page(client))
    extra = organisation("Nouvelle", country="CI")
    with django_capture_on_commit_callbacks(execute=True):
        Participant.objects.create(experience=web["alone"].experiences.get(), organisation=extra, role="partner")
    after = shown_pairs(page(client))
    assert set(after) - set(before) == {tuple(sorted((web["alone"].pk, extra.pk)))}


def test_the_number_of_queries_does_not_grow_with_the_network(client, web, django_assert_num_queries):
    with django_assert_num_queries(QUERIES + LABEL_QUERIES):
        page(client)
    with django_assert_num_queries(QUERIES):
        page(client)
    for n in range(5):  # more organisations, more actions, more pairs
        extra = organisation(f"Autre {n}", country="CI")
        action(extra, web["lyon"], web["ouaga"], countries=("CI",), start=2000 + n)
    with django_assert_num_queries(QUERIES):
        page(client)
    # With criteria, PostgreSQL first reads their values' bitmaps (few matches: their ids as one array).
    with django_assert_num_queries(QUERIES + (connection.vendor == "postgresql")):
        page(client, params={"country": "BF", "kind": ["municipality", "regional"]})


@pytest.mark.vnu
def test_the_page_with_its_drawing_is_valid_html(client, web, tmp_path):
    from test_html_valid import save_pages, vnu

    paths = []
    for lang in ("fr", "en"):
        paths += save_pages(client, [f"/{lang}/partnerships/", f"/{lang}/partnerships/?kind=regional"], tmp_path / lang)
    status, messages = vnu(paths)
    assert status == 0, messages
