"""The API's organisation list is the search page's: for random combinations of criteria, the same
organisations in the same order, and the same total."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from factories import add_experience
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from institutions.models import Competence, Organisation

VALUES = {
    "country": ["FR", "BF", "SN"],
    "kind": ["municipality", "regional", "international_network"],
    "sector": ["14030", "151", "140"],
    "worked_in": ["ML", "SN", "CI"],
    "experience_sector": ["14010", "15110", "151"],
    "role": ["coordinator", "partner"],
    "active_from": ["2015", "2021"],
    "active_to": ["2016", "2022"],
    "sort": ["name", "-updated", "-experiences"],
    "q": ["eau", "commune", "réseau"],
}
CRITERIA = st.dictionaries(
    st.sampled_from(sorted(VALUES)),
    st.integers(min_value=0, max_value=2),
    max_size=3,
).map(lambda chosen: [(name, VALUES[name][i % len(VALUES[name])]) for name, i in sorted(chosen.items())])


@pytest.fixture
def varied(sector_rows, donors):
    """Fifteen organisations of several countries and kinds, with competences and experiences."""
    kinds = ["municipality", "regional", "international_network"]
    for n in range(15):
        organisation = Organisation.objects.create(
            name_fr=f"{['Commune', 'Réseau', 'Éau'][n % 3]} {n:02d}",
            name_en=f"Town {n:02d}" if n % 4 else "",
            country=["FR", "BF", "SN"][n % 3],
            kind=kinds[n % 2 + (n % 5 == 0)],
        )
        Competence.objects.create(organisation=organisation, sector=sector_rows[["14030", "15112"][n % 2]], rank=1)
        for k in range(n % 3):
            add_experience(
                organisation,
                title_fr=f"Eau {n}-{k}",
                role=["coordinator", "partner"][k],
                start_date=datetime.date(2014 + n % 9, 1, 1),
                end_date=datetime.date(2016 + n % 9, 1, 1),
                sectors=[["14010", "15110"][(n + k) % 2]],
                countries=[["ML", "SN", "CI"][(n + k) % 3]],
                fundings=[(donors["ce"], Decimal(1))],
            )


@examples(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(criteria=CRITERIA, lang=st.sampled_from(["fr", "en"]))
def test_api_lists_what_the_search_page_lists(client, varied, settings, criteria, lang):
    settings.PUBLIC_PAGE_CACHE = False  # the page's context, not a cached copy
    page = client.get(f"/{lang}/", criteria, follow=True)  # to the canonical search URL
    assert page.status_code == 200
    expected = [row.slug for row in page.context["page"].object_list]
    api = client.get(reverse("api:organisations"), [*criteria, ("lang", lang)]).json()
    assert [row["slug"] for row in api["results"]] == expected
    assert api["count"] == page.context["page"].paginator.count
