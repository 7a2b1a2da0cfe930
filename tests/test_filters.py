"""Search criteria (institutions/filters.py): each one both ways, OR within, AND across, facets, sorting,
pagination edges and malformed input."""

import pytest

from directory import criteria
from institutions.facets import rebuild_facet_values

ALL = {"aimf", "ville-de-lyon", "region-de-dakar", "ancb"}


def slugs(response):
    assert response.status_code == 200
    return {o.slug for o in response.context["page"].object_list}


def ordered(response):
    return [o.slug for o in response.context["page"].object_list]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "params,shown,hidden",
    [
        ({"country": "FR"}, {"aimf", "ville-de-lyon"}, {"region-de-dakar", "ancb"}),
        ({"country": "fr"}, {"aimf", "ville-de-lyon"}, {"ancb"}),
        ({"kind": "international_network"}, {"aimf"}, {"ville-de-lyon"}),
        ({"sector": "14030"}, {"aimf"}, {"ville-de-lyon", "ancb"}),
        ({"sector": "140"}, {"aimf", "ancb"}, {"ville-de-lyon"}),
        ({"sector": "11110"}, {"ville-de-lyon"}, {"aimf"}),
        ({"worked_in": "CI"}, {"aimf"}, {"ville-de-lyon", "ancb"}),
        ({"worked_in": "SN"}, {"ville-de-lyon"}, {"aimf", "region-de-dakar"}),
        ({"experience_sector": "14030"}, {"aimf"}, {"ancb"}),
        ({"experience_sector": "151"}, {"ancb"}, {"aimf"}),
        ({"role": "coordinator"}, {"aimf"}, {"ville-de-lyon", "ancb"}),
        ({"role": "associate"}, {"ancb"}, {"aimf"}),
        ({"active_from": "2011", "active_to": "2012"}, {"aimf"}, {"ancb", "ville-de-lyon"}),
        ({"active_from": "2020"}, {"ville-de-lyon"}, {"aimf", "ancb"}),  # no end date = still going
        ({"active_to": "2000"}, {"ancb"}, {"aimf", "ville-de-lyon"}),
        ({"active_from": "2012", "active_to": "2011"}, {"aimf"}, {"ancb"}),  # reversed span is understood
        ({"active_from": "1999", "active_to": "2009"}, set(), {"aimf", "ancb", "ville-de-lyon"}),
    ],
)
def test_each_criterion_both_ways(client, directory, lang, params, shown, hidden):
    found = slugs(client.get(f"/{lang}/", params, follow=True))
    assert shown <= found
    assert not hidden & found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_donor_both_ways(client, directory, lang):
    assert slugs(client.get(f"/{lang}/", {"donor": directory["ec"].pk}, follow=True)) == {"aimf", "ancb"}
    assert slugs(client.get(f"/{lang}/", {"donor": directory["afd"].pk}, follow=True)) == {"ville-de-lyon"}


@pytest.mark.parametrize("array_limit", [1, 2])
def test_values_of_one_criterion_widen_and_criteria_narrow(client, directory, monkeypatch, array_limit):
    """The same results whether the organisations meeting the criteria go to the database as one array of
    ids or as a join per criterion: PostgreSQL takes the array for at most ID_ARRAY_LIMIT of them. The
    two-result searches are just above the limit of 1 (joins) and just at the limit of 2 (an array)."""
    monkeypatch.setattr(criteria, "ID_ARRAY_LIMIT", array_limit)
    assert slugs(client.get("/en/", {"country": ["SN", "BJ"]}, follow=True)) == {"region-de-dakar", "ancb"}
    assert slugs(client.get("/en/", {"worked_in": ["CI", "SN"]}, follow=True)) == {"aimf", "ville-de-lyon"}
    assert slugs(client.get("/en/", {"country": "FR", "worked_in": "SN"}, follow=True)) == {"ville-de-lyon"}
    assert slugs(client.get("/en/", {"country": "FR", "sector": "140", "q": "maires"}, follow=True)) == {"aimf"}
    assert slugs(client.get("/en/", {"country": "SN", "sector": "140"}, follow=True)) == set()


def test_no_organisation_counted_twice(client, directory):
    # AIMF worked in two countries: asking for both must list it once.
    response = client.get("/en/", {"worked_in": ["CI", "BF"], "sector": ["140", "14030"]}, follow=True)
    assert ordered(response) == ["aimf"]
    assert response.context["page"].paginator.count == 1


def facet(response, name):
    return {item["value"]: item["count"] for item in response.context["facets"][name]}


def test_facet_counts_ignore_their_own_criterion(client, directory):
    response = client.get("/en/", {"country": "FR"}, follow=True)
    # Country facet: what each country would give, whatever country is chosen.
    assert facet(response, "country") == {"FR": 2, "SN": 1, "BJ": 1}
    # Other facets: counted within France.
    assert facet(response, "kind") == {"international_network": 1, "municipality": 1}
    assert facet(response, "sector_category") == {"140": 1, "151": 1, "111": 1}
    assert facet(response, "sector") == {"14030": 1, "15112": 1, "11110": 1}
    assert facet(response, "worked_in") == {"CI": 1, "BF": 1, "SN": 1}
    assert facet(response, "role") == {"coordinator": 1, "partner": 1}
    assert facet(response, "donor") == {str(directory["ec"].pk): 1, str(directory["afd"].pk): 1}
    assert facet(response, "experience_sector_category") == {"140": 1, "111": 1}


def test_facet_counts_with_no_criteria_and_labels_in_both_languages(client, directory):
    response = client.get("/fr/", follow=True)
    assert facet(response, "sector_category") == {"140": 2, "151": 1, "111": 1}
    labels = {i["value"]: i["label"] for i in response.context["facets"]["sector_category"]}
    assert labels["140"] == "140 Distribution d'eau et assainissement"
    assert "Côte d&#x27;Ivoire" in response.content.decode()
    en = client.get("/en/", follow=True)
    labels = {i["value"]: i["label"] for i in en.context["facets"]["sector_category"]}
    assert labels["140"] == "140 Water supply & sanitation"
    assert "Ivory Coast" in en.content.decode()


def test_selected_value_with_no_result_stays_visible_and_checked(client, directory):
    response = client.get("/en/", {"country": "SN", "kind": "international_network"}, follow=True)
    kinds = {i["value"]: i for i in response.context["facets"]["kind"]}
    assert kinds["international_network"]["selected"] and kinds["international_network"]["count"] == 0
    assert (
        'value="international_network" id="id_kind_international_network" checked'
        in response.content.decode()
    )


def test_facets_hide_values_with_no_organisation(client, directory):
    response = client.get("/en/", {"country": "BJ"}, follow=True)
    assert "municipality" not in facet(response, "kind")
    assert facet(response, "role") == {"associate": 1}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_sorting(client, directory, lang):
    by_name = ordered(client.get(f"/{lang}/", {"sort": "name"}, follow=True))
    if lang == "en":
        assert by_name == ["ville-de-lyon", "region-de-dakar", "aimf", "ancb"]
    else:
        assert by_name == ["aimf", "ancb", "region-de-dakar", "ville-de-lyon"]
    assert ordered(client.get(f"/{lang}/", {"sort": "-updated"}, follow=True))[0] == "ancb"
    by_experiences = ordered(client.get(f"/{lang}/", {"sort": "-experiences"}, follow=True))
    assert by_experiences[-1] == "region-de-dakar"
    # Relevance without text falls back to name; an unknown sort too.
    assert ordered(client.get(f"/{lang}/", {"sort": "relevance"}, follow=True)) == by_name
    assert ordered(client.get(f"/{lang}/", {"sort": "bogus"}, follow=True)) == by_name


@pytest.fixture
def many(directory):
    from institutions.models import Organisation

    Organisation.objects.bulk_create(
        [Organisation(name_fr=f"Commune {n:02}", slug=f"commune-{n:02}", country="BE") for n in range(45)]
    )
    rebuild_facet_values()  # a bulk write sends no signals: it refreshes the facet values itself


@pytest.mark.parametrize(
    "page,number", [("1", 1), ("2", 2), ("3", 3), ("0", 1), ("-4", 1), ("abc", 1), ("999999", 3), ("", 1)]
)
def test_pagination_edges(client, many, page, number):
    response = client.get("/en/", {"country": "BE", "page": page}, follow=True)
    assert response.status_code == 200
    assert response.context["page"].number == number
    assert response.context["page"].paginator.count == 45
    assert len(response.context["page"].object_list) == (5 if number == 3 else 20)


def test_page_links_keep_the_criteria(client, many):
    body = client.get("/fr/", {"country": "BE", "sort": "-updated", "page": "2"}, follow=True).content.decode()
    assert 'href="/fr/?country=BE&amp;sort=-updated&amp;page=3"' in body
    assert 'href="/fr/?country=BE&amp;sort=-updated" rel="prev"' in body
    assert "45 organisations trouvées" in body


@pytest.mark.parametrize(
    "params",
    [
        {"country": "ZZ"},
        {"sector": "abc"},
        {"sector": "1403"},
        {"kind": "xyz"},
        {"role": "boss"},
        {"donor": "abc"},
        {"donor": "-1"},
        {"donor": "99999999999999999999"},
        {"active_from": "abc"},
        {"active_to": "99999"},
        {"sort": "?"},
        {"page": "abc"},
        {"worked_in": "<script>"},
        {"q": "x" * 5000},
        {"q": "maires " * 1000},
        {"q": "\x00"},
        {"q": "'\"&|!:*()<>"},
        {"country": ["FR"] * 200},
        {"experience_sector": "14030' OR 1=1"},
    ],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_malformed_parameters_never_cause_an_error(client, directory, params, lang):
    for url in (f"/{lang}/", f"/{lang}/print/", f"/{lang}/feed/rss/", f"/{lang}/export.json"):
        response = client.get(url, params, follow=True)
        assert response.status_code == 200, url


def test_invalid_values_are_ignored_and_valid_ones_kept(client, directory):
    assert slugs(client.get("/en/", {"country": "ZZ"}, follow=True)) == ALL
    assert slugs(client.get("/en/", {"country": ["ZZ", "SN"]}, follow=True)) == {"region-de-dakar"}
    assert slugs(client.get("/en/", {"sector": ["abc", "11110"]}, follow=True)) == {"ville-de-lyon"}
    assert slugs(client.get("/en/", {"kind": "xyz", "active_from": "abc"}, follow=True)) == ALL


def test_a_very_long_query_is_cut_not_refused(client, directory):
    response = client.get("/en/", {"q": "maires " * 1000}, follow=True)
    assert slugs(response) == {"aimf"}
    assert len(response.context["criteria"]["q"]) <= 200


def test_counts_follow_an_edit_at_once(client, directory):
    """Counts come from the facet index, rebuilt when data changes: an edit shows on the next search."""
    from experiences.models import ExperienceCountry

    response = client.get("/en/", follow=True)
    assert facet(response, "country")["FR"] == 2
    assert facet(response, "worked_in").get("ML") is None
    total = response.context["page"].paginator.count

    lyon = directory["lyon"]
    lyon.published = False
    lyon.save()
    response = client.get("/en/", follow=True)
    assert facet(response, "country")["FR"] == 1
    assert response.context["page"].paginator.count == total - 1
    assert "ville-de-lyon" not in slugs(response)

    aimf = directory["aimf"]
    ExperienceCountry.objects.create(experience=aimf.experiences.first(), country="ML")
    response = client.get("/en/", {"worked_in": "ML"}, follow=True)
    assert facet(response, "worked_in")["ML"] == 1
    assert slugs(response) == {"aimf"}


def test_facets_within_text_and_years(client, directory):
    """Free text and years are not facets, but they narrow every facet's counts."""
    response = client.get("/en/", {"active_from": "2020"}, follow=True)
    assert facet(response, "country") == {"FR": 1}
    assert response.context["page"].paginator.count == 1
    response = client.get("/en/", {"q": "Dakar"}, follow=True)
    found, countries = slugs(response), facet(response, "country")
    assert "region-de-dakar" in found and "ancb" not in found
    assert countries["SN"] == 1 and "BJ" not in countries
    assert sum(countries.values()) == len(found) == response.context["page"].paginator.count
    response = client.get("/en/", {"q": "Dakar", "country": "BJ"}, follow=True)
    assert facet(response, "country") == {**countries, "BJ": 0}  # ignores its own criterion; BJ stays shown
    assert response.context["page"].paginator.count == 0


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_facet_counts_are_grouped_as_intcomma_writes_them(lang):
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template.loader import render_to_string
    from django.utils import translation

    items = [{"value": "x", "label": "<b>", "count": 1234567, "selected": True}]
    with translation.override(lang):
        html = render_to_string("directory/_facet_options.html", {"name": "kind", "items": items})
        assert f"({intcomma(1234567)})" in html
    assert "&lt;b&gt;" in html and " checked>" in html
