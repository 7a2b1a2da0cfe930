"""Random criteria of the experiences list over the demo data, for the hypothesis tests of the list and
of its statistics."""

from hypothesis import strategies as st

from directory.experience_criteria import FACETS
from experiences.models import Experience, ExperienceCountry, Funding

WORDS = ["", "eau", "water", "formation", "Burkina", "assainissement"]


def demo_values():
    """{criterion: the values the demo's experiences have, plus one nobody has}."""
    experiences = Experience.objects.all()
    found = {
        "country": set(experiences.values_list("organisation__country", flat=True)) | {"IS"},
        "kind": set(experiences.values_list("organisation__kind", flat=True)),
        "worked_in": set(ExperienceCountry.objects.values_list("country", flat=True)) | {"IS"},
        "experience_sector": set(experiences.values_list("sectors__code", flat=True))
        | set(experiences.values_list("sectors__category__code", flat=True)),
        "donor": {str(pk) for pk in Funding.objects.values_list("donor_id", flat=True)},
        "role": set(experiences.values_list("role", flat=True)),
    }
    return {criterion: sorted(v for v in found[criterion] if v) for criterion in FACETS}


def criteria(data, values):
    params = {}
    for criterion in data.draw(st.sets(st.sampled_from(sorted(FACETS)), max_size=3)):
        params[criterion] = data.draw(st.lists(st.sampled_from(values[criterion]), min_size=1, max_size=2))
    if q := data.draw(st.sampled_from(WORDS)):
        params["q"] = q
    if data.draw(st.booleans()):
        params["active_from"] = data.draw(st.integers(2000, 2020))
    return params
