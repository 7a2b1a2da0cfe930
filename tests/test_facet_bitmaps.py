"""Facet counts from bitmaps (PostgreSQL, institutions/bitmaps.py): the bitmaps say exactly what the facet
values say after every kind of edit, and the counts they give equal the GROUP BY counts of the other
databases, for random criteria."""

import pytest
from demo_criteria import add_partnerships, partner_slugs
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.criteria import CRITERION_FACETS, FACET_CRITERION, PARTNER_OF, OrganisationFilter
from experiences.models import Experience, ExperienceCountry, Funding, Participant
from institutions import bitmaps
from institutions.bitmaps import CHUNK, counts, mismatches, to_bitmap, update_bitmaps
from institutions.models import Competence, FacetBitmap, FacetValue, Organisation, Sector, SectorCategory
from tests.factories import add_experience

pytestmark = pytest.mark.postgresql  # the bitmaps are PostgreSQL's


def test_sets_of_organisations_cross_chunk_boundaries(db):
    """Ids on both sides of a chunk boundary: each lands in its own bit, counts add up over the chunks."""
    far = 2 * CHUNK + 1
    update_bitmaps([1, CHUNK, far], [(1, "country", "FR"), (CHUNK, "country", "FR"), (far, "kind", "regional")])
    assert counts([(["country", "kind"], None)]) == {"country": {"FR": 2}, "kind": {"regional": 1}}
    assert counts([(["country"], to_bitmap([CHUNK]))]) == {"country": {"FR": 1}}
    assert counts([(["country"], to_bitmap([CHUNK - 1, CHUNK + 1]))]) == {}
    assert bitmaps.chosen({"country": [("country", "FR"), ("country", "BF")]}) == {"country": to_bitmap([1, CHUNK])}

    update_bitmaps([CHUNK], [])  # that organisation has no value any more
    assert counts([(["country", "kind"], None)]) == {"country": {"FR": 1}, "kind": {"regional": 1}}


def edits(d):
    """Every kind of change that moves an organisation's facet values, one by one."""
    aimf, lyon, benin, hidden = d["aimf"], d["lyon"], d["benin"], d["hidden"]
    yield "country", lambda: _set(lyon, country="DE").save()
    yield "kind", lambda: _set(benin, kind="municipality").save()
    yield (
        "new experience",
        lambda: add_experience(
            lyon, sectors=["14030"], countries=["ML", "NE"], fundings=[(d["ec"], 1000)], role="associate"
        ),
    )
    yield (
        "participant added",
        lambda: Participant.objects.create(
            experience=Experience.objects.filter(organisation=aimf).first(), organisation=lyon, role="partner"
        ),
    )
    yield "participant removed", lambda: Participant.objects.filter(organisation=lyon).delete()
    yield (
        "experience moved",
        lambda: _set(Experience.objects.filter(organisation=aimf).first(), organisation=benin).save(),
    )
    yield "country of an experience removed", lambda: ExperienceCountry.objects.filter(country="ML").delete()
    yield "funding removed", lambda: Funding.objects.filter(experience__organisation=lyon, donor=d["ec"]).delete()
    yield "experience sectors cleared", lambda: Experience.objects.filter(organisation=lyon).first().sectors.clear()
    yield (
        "competence added",
        lambda: Competence.objects.create(organisation=lyon, sector=Sector.objects.get(code="14010"), rank=2),
    )
    yield (
        "sector moved to another category",
        lambda: _set(Sector.objects.get(code="14010"), category=SectorCategory.objects.get(code="151")).save(),
    )
    yield "unpublished", lambda: _set(aimf, published=False).save()
    yield "published", lambda: _set(hidden, published=True).save()
    yield "organisation deleted", lambda: Organisation.objects.get(pk=benin.pk).delete()
    yield "experience deleted", lambda: Experience.objects.filter(organisation=lyon).delete()


def _set(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    return instance


def test_a_sparse_facet_has_no_bitmap_and_is_read_across_chunks(db):
    """"Worked with" has no bitmap (bitmaps.SPARSE_FACETS): its chosen values are read from their FacetValue
    rows, on both sides of a chunk boundary, and a set of organisations gives back its ids (directory/criteria
    counts that facet over them)."""
    far = 2 * CHUNK + 1
    for pk in (1, CHUNK - 1, CHUNK, far):
        Organisation.objects.create(pk=pk, name_fr=f"Commune {pk}", slug=f"commune-{pk}", country="FR")
    rows = [(1, "7"), (CHUNK, "7"), (far, "7"), (CHUNK - 1, "8")]
    FacetValue.objects.bulk_create(FacetValue(organisation_id=pk, facet=PARTNER_OF, value=v) for pk, v in rows)
    pks = [pk for pk, _value in rows]  # their bitmaps written again from all their values: none for partner_of
    values = FacetValue.objects.filter(organisation_id__in=pks).values_list("organisation_id", "facet", "value")
    update_bitmaps(pks, values)
    assert not FacetBitmap.objects.filter(facet=PARTNER_OF).exists()
    assert counts([(["country"], to_bitmap([1, CHUNK]))]) == {"country": {"FR": 2}}
    chosen = bitmaps.chosen({PARTNER_OF: [(PARTNER_OF, "7")], "country": [("country", "FR")]})
    assert chosen == {PARTNER_OF: to_bitmap([1, CHUNK, far]), "country": to_bitmap([1, CHUNK - 1, CHUNK, far])}
    assert bitmaps.ids(chosen[PARTNER_OF]) == [1, CHUNK, far]
    assert bitmaps.ids(to_bitmap([0, 7, 8, CHUNK - 1])) == [0, 7, 8, CHUNK - 1] and bitmaps.ids(0) == []
    assert mismatches() == []


def test_bitmaps_follow_every_kind_of_edit(directory):
    assert FacetBitmap.objects.exists() and mismatches() == []
    def everything():  # the bitmaps' counts, and "Worked with" (no bitmap) as its facet values say
        dense = [facet for facet in FACET_CRITERION if facet not in bitmaps.SPARSE_FACETS]
        partners = FacetValue.objects.filter(facet=PARTNER_OF).values_list("organisation_id", "value")
        return counts([(dense, None)]), set(partners)

    for name, edit in edits(directory):
        before = everything()
        edit()
        assert mismatches() == [], name
        assert everything() != before, f"{name}: the edit changed no count"


def test_an_edit_that_changes_no_facet_value_writes_no_bitmap(directory):
    lyon = directory["lyon"]
    lyon.description_fr = "Coopération avec Dakar et Saint-Louis."
    with CaptureQueriesContext(connection) as queries:
        lyon.save()
    writes = [q["sql"] for q in queries if "facetbitmap" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")]
    assert writes == []
    assert mismatches() == []


# --- the counts equal the GROUP BY counts ------------------------------------------------------------

WORDS = ["", "eau", "water", "Burkina", "formation"]


@pytest.fixture
def values(demo):
    add_partnerships()
    found = {criterion: set() for criterion in CRITERION_FACETS}
    for facet, value in FacetValue.objects.filter(facet__in=FACET_CRITERION).values_list("facet", "value").distinct():
        found[FACET_CRITERION[facet]].add(value)
    found["country"].add("IS")
    found[PARTNER_OF] = set(partner_slugs())  # the facet values hold ids; the criterion takes slugs
    assert len(found[PARTNER_OF]) > 5  # most of the demo's organisations have a partner
    return {criterion: sorted(v) for criterion, v in found.items()}


def facet_counts(params, use_bitmaps, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(bitmaps, "enabled", lambda using: use_bitmaps)
        counts = OrganisationFilter(params, queryset=Organisation.objects.published()).facet_counts()
        return counts, counts[PARTNER_OF].total  # "Worked with" also says how many values it counted


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bitmap_counts_equal_group_by_counts(values, monkeypatch, settings, data):
    settings.FACET_COUNTS_CACHE = False
    params = {}
    for criterion in data.draw(st.sets(st.sampled_from(sorted(CRITERION_FACETS)), max_size=3)):
        params[criterion] = data.draw(st.lists(st.sampled_from(values[criterion]), min_size=1, max_size=2))
    if q := data.draw(st.sampled_from(WORDS)):
        params["q"] = q
    if data.draw(st.booleans()):
        params["active_from"] = str(data.draw(st.integers(2000, 2020)))
    assert facet_counts(params, True, monkeypatch) == facet_counts(params, False, monkeypatch), params


def test_the_demo_data_has_bitmaps_as_its_facet_values_say(demo):
    add_partnerships()
    dense = FacetValue.objects.exclude(facet__in=bitmaps.SPARSE_FACETS)
    assert FacetBitmap.objects.count() >= dense.values("facet", "value").distinct().count()
    assert FacetValue.objects.filter(facet=PARTNER_OF).exists()
    assert not FacetBitmap.objects.filter(facet__in=bitmaps.SPARSE_FACETS).exists()
    assert mismatches() == []
