"""The experiences list on the demo data, over random criteria (directory/experience_criteria.py): a facet
count is the number of experiences the list gives with that value, and the list and the organisation search
agree on the organisations the experience-level criteria select."""

import pytest
from demo_criteria import add_partnerships, criteria, demo_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.experience_criteria import FACET_CRITERION
from experiences.models import Experience
from institutions.models import Organisation

examples = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def values(demo):
    add_partnerships()  # partner_of mixed with the other criteria
    values = demo_values()
    assert len(values["partner_of"]) > 5  # most of the demo's organisations have a partner
    return values


def results(client, lang, params):
    response = client.get(f"/{lang}/experiences/", params, follow=True)
    assert response.status_code == 200
    return response.context["page"].paginator.count, response.context["facets"]


@examples
@given(data=st.data())
def test_each_facet_count_is_the_number_of_experiences_with_that_value(client, values, data):
    lang = data.draw(st.sampled_from(["fr", "en"]))
    params = criteria(data, values)
    count, facets = results(client, lang, params)
    for facet, shown in facets.items():
        criterion = FACET_CRITERION[facet]
        picked = st.lists(st.sampled_from(shown), max_size=2, unique_by=lambda i: i["value"]) if shown else st.just([])
        for item in data.draw(picked):
            narrowed = {**params, criterion: [item["value"]]}
            assert results(client, lang, narrowed)[0] == item["count"], (facet, item, params)
        if not params.get(criterion):
            assert all(item["count"] <= count for item in shown)


def experiences_organisations(client, params):
    response = client.get("/en/experiences/", params, follow=True)
    ids = list(response.context["filterset"].result_ids())
    return set(Experience.objects.filter(pk__in=ids).values_list("organisation__slug", flat=True))


def organisations(client, params):
    response = client.get("/en/", params, follow=True)
    ids = list(response.context["filterset"].result_ids())
    return set(Organisation.objects.filter(pk__in=ids).values_list("slug", flat=True))


@examples
@given(data=st.data())
def test_the_list_and_the_organisation_search_agree_on_worked_in_and_active_years(client, values, data):
    """With one experience-level criterion, an organisation is in the organisation results iff one of its
    experiences is in the experiences list. With worked_in and active years together, the organisation
    search asks for an experience in the country and an experience in the span (maybe another one): its
    results are the organisations the list finds for each criterion alone, and include those the list
    finds for both (test_experience_list.py shows an organisation with one and not the other)."""
    worked_in = {"worked_in": data.draw(st.lists(st.sampled_from(values["worked_in"]), min_size=1, max_size=2))}
    start = data.draw(st.none() | st.integers(1995, 2025))
    end = data.draw(st.none() | st.integers(1995, 2025))
    years = {k: v for k, v in (("active_from", start), ("active_to", end)) if v is not None} or {"active_to": 2100}
    assert organisations(client, worked_in) == experiences_organisations(client, worked_in)
    assert organisations(client, years) == experiences_organisations(client, years)
    both = {**worked_in, **years}
    found = organisations(client, both)
    assert found == experiences_organisations(client, worked_in) & experiences_organisations(client, years)
    assert experiences_organisations(client, both) <= found
