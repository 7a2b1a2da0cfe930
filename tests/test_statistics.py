"""The statistics page (/<lang>/statistics/, directory/statistics.py): money counted once and to the cent,
tables that follow the criteria, captions saying what is counted under which criteria, both languages,
canonical URLs, its CSV, and no error on bad input."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from demo_criteria import criteria, demo_values
from factories import refreshed_once
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_data import _experience

from directory.statistics import BAR_WIDTH, CHART_BARS, in_cents, split
from experiences.models import Experience
from institutions.models import Sector


def tables(client, lang, params=None):
    response = client.get(f"/{lang}/statistics/", params or {}, follow=True)
    assert response.status_code == 200
    return {table.name: table for table in response.context["tables"]}, response


def rows(table):
    return {row.key: (row.count, row.amount) for row in table.rows}


@given(
    amount=st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2),
    keys=st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=30, unique=True),
)
def test_a_split_adds_up_to_the_amount_to_the_cent(amount, keys):
    shares = split(in_cents(amount), keys)
    assert sum(shares.values()) * Decimal("0.01") == amount
    assert set(shares) == set(keys)
    assert max(shares.values()) - min(shares.values()) <= 1  # even, to the cent


def test_an_experience_in_two_countries_and_sectors_splits_its_cost(client, directory):
    """The directory's experiences cost 1,100,000 each; AIMF's is in CI and BF. A third experience of
    100.01 in three countries and two sector categories splits it to the cent."""
    sectors = Sector.objects.filter(code__in=["14030", "11110"])
    _experience(directory["aimf"], "partner", datetime.date(2015, 1, 1), countries=["ML", "NE", "BF"],
                sectors=sectors, title_en="Odd cents")  # fmt: skip
    Experience.objects.filter(title_en="Odd cents").update(cost=Decimal("100.01"))
    found, _response = tables(client, "en", {"country": "FR"})
    assert rows(found["country"]) == {
        "BF": (2, Decimal("550000.00") + Decimal("33.34")),
        "CI": (1, Decimal("550000.00")),
        "ML": (1, Decimal("33.34")),
        "NE": (1, Decimal("33.33")),
        "SN": (1, Decimal("1100000.00")),
    }
    assert rows(found["sector"]) == {"111": (2, Decimal("1100050.01")), "140": (2, Decimal("1100050.00"))}  # by code
    for name in ("sector", "country", "year", "role"):
        assert found[name].total_amount == Decimal("2200100.01")
        assert found[name].total_count == 3


def test_an_experience_without_sector_is_counted_as_not_given(client, directory):
    _experience(directory["aimf"], "partner", datetime.date(2015, 1, 1), title_en="No sector")
    found, response = tables(client, "en", {"kind": "international_network"})
    assert rows(found["sector"])[""] == (1, Decimal("1100000.00"))
    assert rows(found["country"])[""] == (1, Decimal("1100000.00"))
    assert "Not given" in response.content.decode()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_tables_follow_the_criteria_both_ways(client, directory, lang):
    found, _response = tables(client, lang, {"worked_in": "SN"})
    assert rows(found["role"]) == {"partner": (1, Decimal("1100000.00"))}
    assert rows(found["donor"]) == {str(directory["afd"].pk): (1, Decimal("500000.00"))}
    assert rows(found["kind"]) == {"municipality": (1, None)}
    found, _response = tables(client, lang, {"worked_in": "BF"})
    assert rows(found["role"]) == {"coordinator": (1, Decimal("1100000.00"))}
    assert rows(found["donor"]) == {str(directory["ec"].pk): (1, Decimal("500000.00"))}
    assert rows(found["kind"]) == {"international_network": (1, None)}
    assert rows(found["year"]) == {"2010": (1, Decimal("1100000.00"))}
    found, _response = tables(client, lang)
    assert rows(found["year"]).keys() == {"1995", "2010", "2018"}
    assert rows(found["organisation_country"]) == {"FR": (2, None), "SN": (1, None), "BJ": (1, None)}


@pytest.mark.parametrize(
    "lang,caption,country",
    [
        ("fr", "Expériences par pays d’action – A travaillé dans le pays : Burkina Faso", "Côte d&#x27;Ivoire"),
        ("en", "Experiences by country of action – Worked in: Burkina Faso", "Ivory Coast"),
    ],
)
def test_each_language_and_captions_with_the_criteria(client, directory, lang, caption, country):
    _found, response = tables(client, lang, {"worked_in": "BF"})
    html = response.content.decode()
    assert f"<caption>{caption}" in html
    assert country in html


@pytest.mark.parametrize(
    "query,canonical",
    [("?worked_in=BF&sort=-cost", "?worked_in=BF"), ("?cb=1&q=", ""), ("?page=2&role=partner", "?role=partner")],
)
def test_a_statistics_url_not_written_canonically_is_redirected(client, directory, query, canonical):
    response = client.get(f"/en/statistics/{query}")
    assert response.status_code == 301
    assert response["Location"] == f"/en/statistics/{canonical}"


def test_the_search_pages_link_to_their_statistics(client, directory):
    search = client.get("/en/", {"worked_in": "BF", "sector": "140"}, follow=True)
    assert search.context["links"]["statistics"] == "/en/statistics/?worked_in=BF"
    experiences = client.get("/fr/experiences/", {"role": "partner", "sort": "-cost"}, follow=True)
    assert experiences.context["links"]["statistics"] == "/fr/statistics/?role=partner"
    assert 'href="/fr/statistics/?role=partner"' in experiences.content.decode()


def test_the_csv_has_every_table_in_the_pages_language(client, directory):
    response = client.get("/fr/statistics.csv", {"worked_in": "BF"})
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {"table": "country", "key": "CI", "label": "Côte d'Ivoire", "count": "1", "amount": "550000.00"} in lines
    assert {line["table"] for line in lines} == {"sector", "country", "year", "role", "donor", "kind",
                                                 "organisation_country"}  # fmt: skip


def test_the_page_takes_a_fixed_number_of_queries(client, directory, django_assert_max_num_queries):
    """Guards against a query per row: one per table, one for the costs, the labels once."""
    with refreshed_once():
        for n in range(30):
            _experience(directory["aimf"], "partner", datetime.date(2000 + n % 20, 1, 1), countries=["BF", "ML"],
                        donor=directory["afd"], title_en=f"Action {n}")  # fmt: skip
    with django_assert_max_num_queries(12):
        tables(client, "en", {"worked_in": "BF"})


@pytest.mark.parametrize(
    "params",
    [
        {"worked_in": ["XX", "ß"], "donor": "-1", "active_from": "abc", "active_to": "99999"},
        {"experience_sector": "١٤٠", "q": "\x00", "kind": "<script>"},
    ],
)
def test_bad_parameters_are_dropped_not_errors(client, directory, params):
    tables(client, "en", params)
    assert client.get("/en/statistics.csv", params).status_code == 200


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_amounts_add_up_to_the_matching_experiences_costs(client, demo, data):
    """On the demo data, for random criteria: each table of costs adds up to the sum of the costs of the
    experiences the list gives for them, to the cent; the experiences are counted once in the tables of
    start years and roles."""
    params = criteria(data, demo_values())
    response = client.get("/en/experiences/", params, follow=True)
    ids = list(response.context["filterset"].result_ids())
    costs = list(Experience.objects.filter(pk__in=ids).values_list("cost", flat=True))
    total = sum((cost or Decimal(0) for cost in costs), Decimal(0))
    found, _response = tables(client, data.draw(st.sampled_from(["fr", "en"])), params)
    for name in ("sector", "country", "year", "role"):
        assert found[name].total_amount == total, name
    assert sum(row.count for row in found["year"].rows) == len(ids)
    assert sum(row.count for row in found["role"].rows) == len(ids)


def svgs(html):
    """The page's inline SVG elements, parsed as XML (an SVG that is not well-formed fails here)."""
    from xml.etree import ElementTree

    found = re.findall(r"<svg .*?</svg>", html, flags=re.DOTALL)
    return [ElementTree.fromstring(svg) for svg in found]


SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_table_has_a_chart_of_the_same_numbers_without_inline_style(client, directory, lang):
    found, response = tables(client, lang, {"country": "FR"})
    html = response.content.decode()
    assert "style=" not in html  # CSP: classes only
    charts = {svg.get("aria-labelledby"): svg for svg in svgs(html) if svg.get("aria-labelledby") != "map-title"}
    assert set(charts) == {f"chart-{name}" for name, table in found.items() if table.rows}
    country = charts["chart-country"]
    bars = country.findall(f"{SVG}rect")
    assert [bar.find(f"{SVG}title").text.split(":")[0].strip() for bar in bars] == [
        row.label for row in found["country"].rows
    ]
    widths = [int(bar.get("width")) for bar in bars]
    amounts = [row.amount for row in found["country"].rows]
    assert widths == [round(BAR_WIDTH * amount / max(amounts)) for amount in amounts]


def test_a_long_table_charts_its_largest_rows(client, directory):
    countries = ["ML", "NE", "TG", "GH", "GN", "GW", "SL", "LR", "MR", "GM", "CV", "NG", "TD", "CM", "GA", "CG"]
    for n, country in enumerate(countries):
        experience = _experience(directory["aimf"], "partner", datetime.date(2015, 1, 1), countries=[country],
                                 title_en=f"Action {n}")  # fmt: skip
        Experience.objects.filter(pk=experience.pk).update(cost=Decimal(1000 + n))
    found, response = tables(client, "en")
    assert len(found["country"].rows) == 4 + len(countries)  # BF CI SN BJ and the new ones
    (chart,) = [svg for svg in svgs(response.content.decode()) if svg.get("aria-labelledby") == "chart-country"]
    shown = [bar.find(f"{SVG}title").text.split(":")[0] for bar in chart.findall(f"{SVG}rect")]
    assert len(shown) == CHART_BARS
    assert "Mali" not in shown  # the smallest (1,000) left out of the chart, not the table
    assert "the largest 15 rows; the table below has them all." in response.content.decode()
