"""A facet count says how many results the search gives with that value: the property, over random criteria
on the demo data, on whichever database the suite runs (directory/criteria.py)."""

import pytest
from demo_criteria import add_partnerships, partner_slugs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.criteria import CRITERION_FACETS, FACET_CRITERION, PARTNER_OF
from institutions.models import FacetValue

WORDS = ["", "eau", "water", "AIMF", "Burkina", "formation", "municipality"]


@pytest.fixture
def values(demo):
    """{criterion: the values the demo data has, plus one nobody has}; with partnerships, so that partner_of
    is mixed with the other criteria."""
    add_partnerships()
    found = {criterion: set() for criterion in CRITERION_FACETS}
    for facet, value in FacetValue.objects.filter(facet__in=FACET_CRITERION).values_list("facet", "value").distinct():
        found[FACET_CRITERION[facet]].add(value)
    found["country"].add("IS")
    found["sector"].add("99999")
    found[PARTNER_OF] = set(partner_slugs())  # the facet values hold ids; the criterion takes slugs
    assert len(found[PARTNER_OF]) > 5  # most of the demo's organisations have a partner
    return {criterion: sorted(v) for criterion, v in found.items()}


def total(client, lang, params):
    response = client.get(f"/{lang}/", params, follow=True)
    assert response.status_code == 200
    return response.context["page"].paginator.count, response.context["facets"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_each_facet_count_is_the_number_of_results_with_that_value(client, values, data):
    lang = data.draw(st.sampled_from(["fr", "en"]))
    params = {}
    for criterion in data.draw(st.sets(st.sampled_from(sorted(CRITERION_FACETS)), max_size=3)):
        params[criterion] = data.draw(st.lists(st.sampled_from(values[criterion]), min_size=1, max_size=2))
    if q := data.draw(st.sampled_from(WORDS)):
        params["q"] = q
    if data.draw(st.booleans()):
        params["active_from"] = data.draw(st.integers(2000, 2020))
    count, facets = total(client, lang, params)
    for facet, shown in facets.items():
        criterion = FACET_CRITERION[facet]
        picked = st.lists(st.sampled_from(shown), max_size=2, unique_by=lambda i: i["value"]) if shown else st.just([])
        for item in data.draw(picked):
            narrowed = {**params, criterion: [item["value"]]}
            assert total(client, lang, narrowed)[0] == item["count"], (facet, item, params)
        if not params.get(criterion):
            # With its criterion not in force, a value's count never exceeds the results.
            assert all(item["count"] <= count for item in shown)
