"""Facet counts from an in-memory index: for every facet value, the set of public organisations having it,
as a bitset (a Python int whose bit n is organisation n).

Why: a facet count is "how many organisations match the search AND have this value". Counted by SQL that
is a GROUP BY over every matching competence, experience, country and funding row: with 100,000
organisations (500,000 experiences, a million experience-sector rows) the nine facets took seconds per
page. With bitsets the same count is one AND and one popcount per value (~1,300 values: a few ms), and
exact. The index is built from the database once per directory generation (institutions.cache: every
change to public data bumps it, on every app server when the cache is shared), so it is never staler
than the page cache; building it takes a few seconds at 100,000 organisations, paid by the first search
after a change, in each process. Memory: (number of values) × (highest id / 8) bytes, ~16 MB at 100,000.

The definitions of the criteria are the same as in filters.CRITERIA (which the SQL result list uses):
a 3-digit sector category matches all its codes; several values of one criterion widen, criteria narrow.
"""

import threading

from experiences.models import Experience, ExperienceCountry, Funding

from .cache import generation
from .models import Competence, Organisation, Sector

# criterion -> the facets its values are looked up in (sector criteria: 5-digit codes and 3-digit categories)
CRITERION_FACETS = {
    "country": ("country",),
    "kind": ("kind",),
    "sector": ("sector", "sector_category"),
    "worked_in": ("worked_in",),
    "experience_sector": ("experience_sector", "experience_sector_category"),
    "donor": ("donor",),
    "role": ("role",),
}
FACET_CRITERION = {facet: criterion for criterion, facets in CRITERION_FACETS.items() for facet in facets}


def bitset(ids):
    """A set of non-negative ints as one int (bit n set for n in ids)."""
    if not ids:
        return 0
    buffer = bytearray((max(ids) >> 3) + 1)
    for i in ids:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


def _rows(queryset, *fields):
    """Streamed rows of plain columns, no joins: at 100,000 organisations there are millions of them, and
    sector codes, categories and experience owners are mapped in Python from small dictionaries."""
    return queryset.order_by().values_list(*fields).iterator(chunk_size=20_000)


class FacetIndex:
    def __init__(self, using="default"):
        members = {facet: {} for facet in FACET_CRITERION}

        def add(facet, value, pk):
            members[facet].setdefault(value, set()).add(pk)

        public = set()
        for pk, country, kind in _rows(Organisation.objects.using(using).published(), "pk", "country", "kind"):
            public.add(pk)
            add("country", country, pk)
            add("kind", kind, pk)
        sectors = {
            pk: (code, category)
            for pk, code, category in Sector.objects.using(using).values_list("pk", "code", "category__code")
        }
        for pk, sector in _rows(Competence.objects.using(using), "organisation_id", "sector_id"):
            if pk in public:
                add("sector", sectors[sector][0], pk)
                add("sector_category", sectors[sector][1], pk)
        owner = {}  # experience id -> organisation id, public organisations only
        for experience, pk, role in _rows(Experience.objects.using(using), "pk", "organisation_id", "role"):
            if pk in public:
                owner[experience] = pk
                add("role", role, pk)
        links = Experience.sectors.through.objects.using(using)
        for experience, sector in _rows(links, "experience_id", "sector_id"):
            if (pk := owner.get(experience)) is not None:
                add("experience_sector", sectors[sector][0], pk)
                add("experience_sector_category", sectors[sector][1], pk)
        for experience, country in _rows(ExperienceCountry.objects.using(using), "experience_id", "country"):
            if (pk := owner.get(experience)) is not None:
                add("worked_in", country, pk)
        for experience, donor in _rows(Funding.objects.using(using), "experience_id", "donor_id"):
            if (pk := owner.get(experience)) is not None:
                add("donor", donor, pk)
        self.sets = {
            facet: {value: bitset(pks) for value, pks in values.items()} for facet, values in members.items()
        }
        self.all = bitset(public)

    def criterion(self, name, values):
        """Organisations matching any of the values of one criterion."""
        result = 0
        for facet in CRITERION_FACETS[name]:
            sets = self.sets[facet]
            for value in values:
                result |= sets.get(value, 0)
        return result

    def matching(self, criteria, base=None, skip=None):
        """Organisations matching every criterion but `skip`, within base (default: all public ones).
        criteria: {criterion: [values]} (empty lists are ignored)."""
        result = self.all if base is None else base & self.all
        for name, values in criteria.items():
            if values and name != skip:
                result &= self.criterion(name, values)
        return result

    def counts(self, facet, organisations):
        """{value: number of these organisations having it} for one facet, zeros left out."""
        counts = {}
        for value, members in self.sets[facet].items():
            n = (members & organisations).bit_count()
            if n:
                counts[value] = n
        return counts


_lock = threading.Lock()
_indexes = {}  # database alias -> (generation, FacetIndex)


def facet_index(using="default"):
    """The index for the current directory generation, built on first use after a change."""
    current = generation()
    cached = _indexes.get(using)
    if cached and cached[0] == current:
        return cached[1]
    with _lock:
        cached = _indexes.get(using)
        if cached and cached[0] == current:
            return cached[1]
        index = FacetIndex(using)
        _indexes[using] = (current, index)
        return index
