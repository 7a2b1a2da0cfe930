"""The facet index (institutions/facet_index.py) follows edits by re-reading only the organisations they
concern (logged with each generation bump, institutions/cache.py), and stays equal to a full build."""

import datetime
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.core.cache import caches

from experiences.models import Experience, ExperienceCountry, Funding
from institutions import facet_index as facet_index_module
from institutions.cache import CHANGES_KEY, FULL_REBUILD, bump_generation, changed_organisations, generation
from institutions.facet_index import FacetIndex, facet_index
from institutions.models import Competence, Organisation, Sector, SectorCategory

FACETS = [
    "country", "kind", "sector_category", "sector", "experience_sector_category", "experience_sector",
    "worked_in", "role", "donor",
]  # fmt: skip


@pytest.fixture
def builds(monkeypatch):
    """The database aliases of the full builds made during the test."""
    calls = []
    build = FacetIndex.__init__

    def counted(self, using="default"):
        calls.append(using)
        build(self, using)

    monkeypatch.setattr(FacetIndex, "__init__", counted)
    return calls


@pytest.fixture
def built(directory, builds):
    """The directory, its index built (the first search's full build), the build counter reset."""
    facet_index()
    assert builds == ["default"]
    builds.clear()
    return directory


def counted_by_sql():
    """Facet counts and total with no criteria, counted by the database: what the search page must show."""
    public = {"published": True}
    by_org = {"organisation__published": True}
    by_exp = {"experience__organisation__published": True}
    links = Experience.sectors.through.objects.filter(**by_exp)
    sources = {
        "country": Organisation.objects.filter(**public).values_list("country", "pk"),
        "kind": Organisation.objects.filter(**public).values_list("kind", "pk"),
        "sector": Competence.objects.filter(**by_org).values_list("sector__code", "organisation_id"),
        "sector_category": Competence.objects.filter(**by_org).values_list(
            "sector__category__code", "organisation_id"
        ),
        "experience_sector": links.values_list("sector__code", "experience__organisation_id"),
        "experience_sector_category": links.values_list("sector__category__code", "experience__organisation_id"),
        "worked_in": ExperienceCountry.objects.filter(**by_exp).values_list("country", "experience__organisation_id"),
        "role": Experience.objects.filter(**by_org).values_list("role", "organisation_id"),
        "donor": Funding.objects.filter(**by_exp).values_list("donor_id", "experience__organisation_id"),
    }
    counts = {name: dict(Counter(str(value) for value, _ in set(rows))) for name, rows in sources.items()}
    return counts, Organisation.objects.filter(**public).count()


def shown(client):
    """Facet counts and total on the search page with no criteria."""
    response = client.get("/en/")
    facets = response.context["facets"]
    counts = {name: {item["value"]: item["count"] for item in facets[name]} for name in FACETS}
    return counts, response.context["page"].paginator.count


def assert_equal_to_full_build(index):
    fresh = FacetIndex()
    assert index.all == fresh.all
    assert index.sets == fresh.sets
    assert index.order == fresh.order and index.keys == fresh.keys  # the result order by name
    assert index.labels == fresh.labels
    # The result rows' experiences and competences (a list by id: a caught-up one may be longer).
    assert {pk: s for pk, s in enumerate(index.summaries) if s} == {pk: s for pk, s in enumerate(fresh.summaries) if s}


def _sector(code):
    return Sector.objects.get(code=code)


def _experience_of(organisation):
    return Experience.objects.filter(organisation=organisation).first()


def _new_experience(organisation, **fields):
    fields = {"role": "partner", "start_date": datetime.date(2020, 1, 1), "title_en": "New", **fields}
    return Experience.objects.create(organisation=organisation, **fields)


def _set(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()


# Each edit, and the queries that catch the index up after it: the facet labels (categories, sectors,
# donors: LABELS), organisations, then (for a public one) sectors, competences, experiences, then (when it
# has experiences) their sectors, countries, fundings.
LABELS = 3
EDITS = {
    "organisation country": (lambda d: _set(d["aimf"], country="ML"), LABELS + 7),
    "organisation kind": (lambda d: _set(d["lyon"], kind="regional"), LABELS + 7),
    "organisation unpublished": (lambda d: _set(d["aimf"], published=False), LABELS + 1),
    "organisation published": (lambda d: _set(d["hidden"], published=True), LABELS + 4),
    "organisation deleted": (lambda d: d["benin"].delete(), LABELS + 1),
    "competence added": (
        lambda d: Competence.objects.create(organisation=d["dakar"], sector=_sector("14030")), LABELS + 4
    ),
    "competence deleted": (lambda d: Competence.objects.get(organisation=d["lyon"]).delete(), LABELS + 7),
    "experience added": (lambda d: _new_experience(d["dakar"]), LABELS + 7),
    "experience deleted": (lambda d: _experience_of(d["lyon"]).delete(), LABELS + 4),
    "experience role changed": (lambda d: _set(_experience_of(d["lyon"]), role="coordinator"), LABELS + 7),
    # AIMF is funded by the EC already: the EC now funds one organisation fewer.
    "experience moved to another organisation": (
        lambda d: _set(_experience_of(d["benin"]), organisation=d["aimf"]), LABELS + 7
    ),
    "experience country added": (
        lambda d: ExperienceCountry.objects.create(experience=_experience_of(d["lyon"]), country="ML"), LABELS + 7
    ),
    "experience country deleted": (lambda d: _experience_of(d["benin"]).countries.get().delete(), LABELS + 7),
    "experience sector added": (lambda d: _experience_of(d["lyon"]).sectors.add(_sector("14030")), LABELS + 7),
    "experience sector removed": (lambda d: _experience_of(d["aimf"]).sectors.remove(_sector("14030")), LABELS + 7),
    "experience sectors cleared": (lambda d: _experience_of(d["aimf"]).sectors.clear(), LABELS + 7),
    "funding added": (
        lambda d: Funding.objects.create(experience=_experience_of(d["lyon"]), donor=d["ec"], amount=Decimal(1)),
        LABELS + 7,
    ),
    "funding deleted": (lambda d: Funding.objects.get(experience__organisation=d["aimf"]).delete(), LABELS + 7),
    "funding moved to another donor": (
        lambda d: _set(Funding.objects.get(experience__organisation=d["lyon"]), donor=d["ec"]), LABELS + 7
    ),
}


@pytest.mark.parametrize("edit", EDITS)
def test_edit_is_counted_exactly_without_a_full_build(client, built, builds, edit, django_assert_num_queries):
    change, queries = EDITS[edit]
    before = shown(client)
    assert before == counted_by_sql()
    change(built)
    expected = counted_by_sql()
    assert expected != before  # the edit changes what the facets must show
    with django_assert_num_queries(queries):
        index = facet_index()
    assert shown(client) == expected
    assert builds == []
    assert_equal_to_full_build(index)


def test_donor_renamed_reloads_only_the_labels(client, built, builds, django_assert_num_queries):
    index = facet_index()
    _set(built["ec"], name_en="Europeaid Zebra Programme")
    with django_assert_num_queries(LABELS):
        renamed = facet_index()
    assert renamed.sets is index.sets  # no organisation changed: the same sets
    assert builds == []
    labels = [item["label"] for item in client.get("/en/").context["facets"]["donor"]]
    assert any("Europeaid Zebra Programme" in label for label in labels)


def test_changes_logged_on_commit_too(built, builds, django_capture_on_commit_callbacks):
    """The bump on commit logs the same organisations: a process that read them between the two bumps
    (before the commit) reads them again."""
    start = generation()
    with django_capture_on_commit_callbacks(execute=True):
        _set(built["aimf"], country="ML")
    assert generation() == start + 2
    log = caches["state"].get_many([CHANGES_KEY.format(start + 1), CHANGES_KEY.format(start + 2)])
    assert list(log.values()) == [[built["aimf"].pk], [built["aimf"].pk]]
    assert facet_index().counts("country", facet_index().all)["ML"] == 1
    assert builds == []


def test_a_deleted_organisation_is_one_bump_whatever_it_held(built):
    """Its competences, experiences, their countries and fundings go with it without a bump each: the
    organisation's own signal logs it, and a long cascade would otherwise outrun MAX_GENERATIONS_BEHIND."""
    start, pk = generation(), built["aimf"].pk
    built["aimf"].delete()
    assert generation() == start + 1
    assert caches["state"].get(CHANGES_KEY.format(start + 1)) == [pk]


def test_a_moved_experience_logs_both_organisations(built):
    experience = _experience_of(built["aimf"])
    start = generation()
    _set(experience, organisation=built["dakar"])
    assert caches["state"].get(CHANGES_KEY.format(start + 1)) == sorted([built["aimf"].pk, built["dakar"].pk])


def test_sector_side_changes_of_experience_sectors_are_mapped_too(built):
    """sector.experiences.add() (which django-simple-history's m2m tracking refuses today, hence called
    directly): the experiences' organisations, or a full rebuild when they are not known (clear)."""
    through, sector = Experience.sectors.through, _sector("15112")
    experiences = {_experience_of(built["lyon"]).pk, _experience_of(built["benin"]).pk}
    signal = {"sender": through, "instance": sector, "reverse": True, "model": Experience}
    changed = changed_organisations(**signal, action="post_add", pk_set=experiences)
    assert changed == sorted([built["lyon"].pk, built["benin"].pk])
    assert changed_organisations(**signal, action="post_clear", pk_set=None) == FULL_REBUILD


FULL_REBUILDS = {
    "sector renamed": lambda d: _set(_sector("14030"), name_en="Water"),
    "sector category renamed": lambda d: _set(SectorCategory.objects.get(code="140"), name_en="Water"),
    "sector added": lambda d: Sector.objects.create(
        code="14020", name_en="Water supply", category=SectorCategory.objects.get(code="140")
    ),
    "bulk write (bump_generation called bare)": lambda d: bump_generation(),
}


@pytest.mark.parametrize("change", FULL_REBUILDS)
def test_changes_to_sectors_or_unknown_ones_rebuild_from_scratch(client, built, builds, change):
    FULL_REBUILDS[change](built)
    assert caches["state"].get(CHANGES_KEY.format(generation())) == FULL_REBUILD
    index = facet_index()
    assert builds == ["default"]
    assert shown(client) == counted_by_sql()
    assert_equal_to_full_build(index)


def test_missing_log_entry_rebuilds_from_scratch(client, built, builds):
    """The state cache may evict a log entry: then which organisations changed is not known."""
    _set(built["aimf"], country="ML")
    _set(built["lyon"], kind="regional")
    caches["state"].delete(CHANGES_KEY.format(generation() - 1))
    facet_index()
    assert builds == ["default"]
    assert shown(client) == counted_by_sql()


def test_far_behind_rebuilds_from_scratch(built, builds, monkeypatch):
    monkeypatch.setattr(facet_index_module, "MAX_GENERATIONS_BEHIND", 2)
    _set(built["aimf"], country="ML")
    _set(built["aimf"], country="CI")
    facet_index()
    assert builds == []
    for country in ("ML", "SN", "FR"):
        _set(built["aimf"], country=country)
    facet_index()
    assert builds == ["default"]


def test_an_edit_shows_in_the_list_and_the_counts_at_once(client, built):
    """The total and the facets come from the index, the list from SQL: they must agree right after an
    edit, inside the same transaction (nothing committed yet)."""
    response = client.get("/en/", {"country": "ML"})
    assert response.context["page"].paginator.count == 0
    _set(built["aimf"], country="ML")
    response = client.get("/en/", {"country": "ML"})
    assert [o.slug for o in response.context["page"].object_list] == ["aimf"]
    assert response.context["page"].paginator.count == 1
    assert {i["value"]: i["count"] for i in response.context["facets"]["country"]}["ML"] == 1


def _delete_first(queryset):
    if (row := queryset.first()) is not None:
        row.delete()


def _random_edit(rng, d):
    organisations = list(Organisation.objects.all())
    experiences = list(Experience.objects.all())
    sectors = list(Sector.objects.all())
    organisation, sector = rng.choice(organisations), rng.choice(sectors)
    experience = rng.choice(experiences) if experiences else None
    edits = [
        lambda: _set(organisation, country=rng.choice(["FR", "SN", "ML", "BJ"])),
        lambda: _set(organisation, kind=rng.choice(Organisation.Kind.values)),
        lambda: _set(organisation, published=not organisation.published),
        lambda: Competence.objects.get_or_create(organisation=organisation, sector=sector),
        lambda: _delete_first(Competence.objects.filter(organisation=organisation)),
        lambda: _new_experience(organisation, role=rng.choice(Experience.Role.values)),
    ]
    if experience:
        edits += [
            lambda: experience.delete(),
            lambda: _set(experience, organisation=organisation),
            lambda: ExperienceCountry.objects.get_or_create(experience=experience, country=rng.choice(["CI", "ML"])),
            lambda: experience.countries.all().delete(),
            lambda: experience.sectors.add(sector),
            lambda: experience.sectors.remove(sector),
            lambda: Funding.objects.create(experience=experience, donor=rng.choice([d["ec"], d["afd"]]), amount=1),
            lambda: experience.fundings.all().delete(),
        ]
    rng.choice(edits)()


@pytest.mark.parametrize("seed", range(5))
def test_random_edits_keep_the_index_equal_to_a_full_build(client, built, builds, seed):
    rng = random.Random(seed)
    for _ in range(40):
        _random_edit(rng, built)
        if rng.random() < 0.3:  # searches between some edits only: catching up several at once too
            facet_index()
    index = facet_index()
    assert builds == []
    assert_equal_to_full_build(index)
    assert shown(client) == counted_by_sql()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_renamed_organisation_moves_in_the_name_order_without_a_full_build(client, built, builds, lang):
    def names():
        return [o.slug for o in client.get(f"/{lang}/", {"sort": "name"}).context["page"].object_list]

    before = names()
    renamed = Organisation.objects.get(slug=before[-1])
    _set(renamed, name_fr="AAA premier", name_en="AAA first")
    after = names()
    assert after[0] == renamed.slug and after[1:] == before[:-1]
    assert builds == []
    assert_equal_to_full_build(facet_index())
