"""Random criteria of the experiences list over the demo data, for the hypothesis tests of the list and
of its statistics."""

from hypothesis import strategies as st

from directory.criteria import PARTNER_OF
from directory.experience_criteria import FACETS
from experiences.models import Experience, ExperienceCountry, Funding, Participant
from institutions.models import FacetValue, Organisation

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
    found = {criterion: sorted(v for v in found[criterion] if v) for criterion in FACETS}
    return {**found, PARTNER_OF: partner_slugs()}


def partner_slugs():
    """The slugs of the organisations that worked with another (as the facet values say), plus one of no
    organisation."""
    ids = FacetValue.objects.filter(facet=PARTNER_OF).values_list("organisation_id", flat=True)
    return sorted(Organisation.objects.filter(pk__in=ids).values_list("slug", flat=True)) + ["nobody"]


def add_partnerships():
    """Partnerships among the demo's organisations, saved one by one as the partner pages save them: each
    action but every third lists two other organisations of the directory, every fourth an unlisted one
    too, every tenth an unpublished organisation."""
    organisations = list(Organisation.objects.order_by("pk"))
    hidden = Organisation.objects.create(slug="hidden-partner", name_fr="Partenaire non publié", published=False)
    for i, experience in enumerate(Experience.objects.order_by("pk")):
        if i % 3 == 0:
            continue
        picked = {organisations[(7 * i + 1) % len(organisations)], organisations[(5 * i + 2) % len(organisations)]}
        if i % 10 == 2:
            picked.add(hidden)
        for organisation in picked - {experience.organisation}:
            Participant.objects.get_or_create(
                experience=experience, organisation=organisation, defaults={"role": "partner"}
            )
        if i % 4 == 1:
            Participant.objects.create(experience=experience, name=f"Ville non listée {i}", role="partner")


def criteria(data, values):
    params = {}
    for criterion in data.draw(st.sets(st.sampled_from(sorted(values)), max_size=3)):
        params[criterion] = data.draw(st.lists(st.sampled_from(values[criterion]), min_size=1, max_size=2))
    if q := data.draw(st.sampled_from(WORDS)):
        params["q"] = q
    if data.draw(st.booleans()):
        params["active_from"] = data.draw(st.integers(2000, 2020))
    return params
