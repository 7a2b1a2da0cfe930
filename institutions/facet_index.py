"""Facet counts from an in-memory index: for every facet value, the set of public organisations having it,
as a bitset (a Python int whose bit n is organisation n).

Why: a facet count is "how many organisations match the search AND have this value". Counted by SQL that
is a GROUP BY over every matching competence, experience, country and funding row: with 100,000
organisations (500,000 experiences, a million experience-sector rows) the nine facets took seconds per
page. With bitsets the same count is one AND and one popcount per value (~1,300 values: a few ms), and
exact. Memory: (number of values) × (highest id / 8) bytes, ~16 MB at 100,000. It also keeps, per
organisation, what a search result shows of its experiences and competences (FacetIndex.summary), so the
result rows' query has no subqueries.

Freshness: the index is tagged with the directory generation (institutions.cache: every change to public
data bumps it, on every app server when the cache is shared), so it is never staler than the page cache.
Building it from scratch takes seconds at 100,000 organisations, too long to pay after every edit. So
each bump also logs which organisations it concerns, and an index a few generations behind is caught up
instead: the changed organisations' bits are cleared and their values re-read with one query per table
filtered by organisation (a few indexed queries and one pass over the sets, not seconds). Both bumps of a
change (at once and on commit) log it, so the committed data is always read again. The result is equal
to a full build, made as a new object while other threads keep reading the old one. A full build still
happens on a process's first search, after bulk writes (generate_directory, fixtures) or a change to
sectors, when a log entry is missing (evicted, expired, or read in the instant between a bump and its log
write) and when the index is more than MAX_GENERATIONS_BEHIND generations or MAX_CHANGED organisations
behind.

The definitions of the criteria are the same as in filters.CRITERIA (which the SQL result list uses):
a 3-digit sector category matches all its codes; several values of one criterion widen, criteria narrow.
"""

import bisect
import copy
import logging
import threading
from collections import Counter
from typing import NamedTuple

from django.conf import settings

from experiences.models import Donor, Experience, ExperienceCountry, Funding

from .cache import generation, logged_changes
from .models import Competence, Organisation, Sector, SectorCategory
from .search import fold

logger = logging.getLogger(__name__)
LANGUAGES = [code for code, _name in settings.LANGUAGES]  # a name order is kept for each

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


SPARSE = 50  # a group under 1/50 of the directory is sorted, not found by walking the name order


def bitset(ids):
    """A set of non-negative ints as one int (bit n set for n in ids)."""
    if not ids:
        return 0
    buffer = bytearray((max(ids) >> 3) + 1)
    for i in ids:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


def _rows(queryset, *fields):
    """Streamed rows of plain columns: at 100,000 organisations there are millions of them, and sector codes,
    categories and experience owners are mapped in Python from small dictionaries."""
    return queryset.order_by().values_list(*fields).iterator(chunk_size=20_000)


class Summary(NamedTuple):
    """What a search result shows of an organisation's related rows (FacetIndex.summary)."""

    experiences: int
    competences: tuple  # sector codes, by rank then id (as the profile lists them)


NO_SUMMARY = Summary(0, ())


def read_members(using="default", organisations=None):
    """The facet values, names and summaries of the public organisations, all of them or only those whose
    ids are in `organisations`: (public ids, {facet: {value: ids}}, {id: (name_fr, name_en)}, {id: summary}
    for those with experiences or competences, see _MemberReader.summaries). The full build and the
    catch-up after a change both read through here, so they cannot disagree on an organisation's values."""
    reader = _MemberReader(using, organisations)
    reader.organisations()
    if reader.public:  # deleted or unpublished organisations have nothing else to read
        reader.competences()
        reader.experiences()
    return reader.public, reader.members, reader.names, reader.summaries()


def _placed(summaries, previous=(), gone=()):
    """Summaries as a list indexed by organisation id (None: nothing to show), smaller than a dict of ints:
    `previous` without the `gone` ids, with `summaries` put in."""
    placed = list(previous)
    for pk in gone:
        if pk < len(placed):
            placed[pk] = None
    if summaries:
        placed.extend([None] * (max(summaries) + 1 - len(placed)))
    for pk, summary in summaries.items():
        placed[pk] = summary
    return placed


def read_labels(using="default"):
    """What facet values are called: {"sector_category"/"sector": {code: (name_fr, name_en)},
    "donor": {id: (acronym, name_fr, name_en)}}. Three small queries; filters.py picks the language."""
    plain = {"sector_category": SectorCategory, "sector": Sector}
    labels = {
        facet: {code: (fr, en) for code, fr, en in _rows(model.objects.using(using), "code", "name_fr", "name_en")}
        for facet, model in plain.items()
    }
    donors = _rows(Donor.objects.using(using), "pk", "acronym", "name_fr", "name_en")
    labels["donor"] = {pk: (acronym, fr, en) for pk, acronym, fr, en in donors}
    return labels


class _MemberReader:
    """One query per table, every one filtered by organisation when only some are read (the rows of
    experiences by their experience's organisation)."""

    def __init__(self, using, only):
        self.using, self.only = using, only
        self.public = set()
        self.members = {facet: {} for facet in FACET_CRITERION}
        self.names = {}  # organisation id -> (name_fr, name_en)
        self.experience_counts = Counter()  # organisation id -> number of experiences
        self.ranked = {}  # organisation id -> [(rank, competence id, sector code)]

    def rows(self, queryset, owner, *fields):
        if self.only is not None:
            queryset = queryset.filter(**{f"{owner}__in": self.only})
        return _rows(queryset.using(self.using), *fields)

    def add(self, facet, value, pk):
        self.members[facet].setdefault(value, set()).add(pk)

    def add_sector(self, facet, sector, pk):
        """The sector's code, and its category's, added to the facet; returns the code (None if unknown).
        A sector missing here was created after self.sectors was read; its own bump asks for a full
        rebuild at the next search, so leaving it out now does not last."""
        if sector not in self.sectors:
            return None
        code, category = self.sectors[sector]
        self.add(facet, code, pk)
        self.add(f"{facet}_category", category, pk)
        return code

    def organisations(self):
        published = Organisation.objects.published()
        for pk, country, kind, name_fr, name_en in self.rows(
            published, "pk", "pk", "country", "kind", "name_fr", "name_en"
        ):
            self.public.add(pk)
            self.add("country", country, pk)
            self.add("kind", kind, pk)
            self.names[pk] = (name_fr, name_en)

    def competences(self):
        self.sectors = {
            pk: (code, category)
            for pk, code, category in Sector.objects.using(self.using).values_list("pk", "code", "category__code")
        }
        competences = self.rows(Competence.objects, "organisation_id", "organisation_id", "sector_id", "rank", "pk")
        for pk, sector, rank, competence in competences:
            if pk in self.public and (code := self.add_sector("sector", sector, pk)) is not None:
                self.ranked.setdefault(pk, []).append((rank, competence, code))

    def experiences(self):
        owner = {}  # experience id -> organisation id, public organisations only
        for experience, pk, role in self.rows(Experience.objects, "organisation_id", "pk", "organisation_id", "role"):
            if pk in self.public:
                owner[experience] = pk
                self.add("role", role, pk)
                self.experience_counts[pk] += 1
        if not owner:
            return
        by_experience = "experience__organisation_id"
        links = Experience.sectors.through.objects
        for experience, sector in self.rows(links, by_experience, "experience_id", "sector_id"):
            if (pk := owner.get(experience)) is not None:
                self.add_sector("experience_sector", sector, pk)
        for experience, country in self.rows(ExperienceCountry.objects, by_experience, "experience_id", "country"):
            if (pk := owner.get(experience)) is not None:
                self.add("worked_in", country, pk)
        for experience, donor in self.rows(Funding.objects, by_experience, "experience_id", "donor_id"):
            if (pk := owner.get(experience)) is not None:
                self.add("donor", donor, pk)

    def summaries(self):
        """{id: (number of experiences, *sector codes by rank then id)} of the organisations that have either:
        a plain tuple, since the index keeps one per organisation (about 7 MB at 100,000)."""
        return {
            pk: (self.experience_counts[pk], *(code for _rank, _id, code in sorted(self.ranked.get(pk, ()))))
            for pk in self.experience_counts.keys() | self.ranked.keys()
        }


class FacetIndex:
    def __init__(self, using="default"):
        """The full build: every public organisation read from the database."""
        public, members, names, summaries = read_members(using)
        self.summaries = _placed(summaries)
        self.sets = {
            facet: {value: bitset(pks) for value, pks in values.items()} for facet, values in members.items()
        }
        self.all = bitset(public)
        self.labels = read_labels(using)
        self.totals = {}  # facet -> counts over every public organisation, filled on first use
        self.memo = {}  # what the pages derive from this index alone (filters.facet_vocabulary)
        self.keys = {language: dict(_name_keys(names, language)) for language in LANGUAGES}
        self.order = {language: sorted(keys.values()) for language, keys in self.keys.items()}

    def updated(self, organisations, using="default"):
        """A new index: this one with `organisations` (ids) re-read from the database, equal to a full build.
        This one is left as it is (other threads may be reading it); sets no change touches are shared."""
        index = copy.copy(self)
        index.totals, index.memo = {}, {}
        index.labels = read_labels(using)  # every catch-up: a donor's new name changes no set, only this
        if not organisations:
            return index
        stale = bitset(organisations)
        public, members, names, summaries = read_members(using, organisations)
        index.all = (self.all & ~stale) | bitset(public)
        index.sets = {facet: _replaced(sets, stale, members[facet]) for facet, sets in self.sets.items()}
        gone = set(organisations)
        index.summaries = _placed(summaries, self.summaries, gone)
        index.keys, index.order = {}, {}
        for language, order in self.order.items():
            keys = {pk: key for pk, key in self.keys[language].items() if pk not in gone}
            index.order[language] = [entry for entry in order if entry[1] not in gone]
            for pk, entry in _name_keys(names, language):
                keys[pk] = entry
                bisect.insort(index.order[language], entry)
            index.keys[language] = keys
        return index

    def summary(self, pk):
        """Number of experiences and competences' codes of a public organisation, as a result row shows
        them: kept here, they cost the rows' query no subqueries."""
        entry = self.summaries[pk] if pk < len(self.summaries) else None
        return Summary(entry[0], entry[1:]) if entry else NO_SUMMARY

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

    def in_name_order(self, organisations, language, first_ones=None):
        """The ids of `organisations` (a bitset) by name in `language` (the other language's name when
        missing; accents and capitals ignored, as a reader expects: "Évry" with the E's), id breaking
        ties. first_ones (a bitset): these come first, each group in name order (relevance: name matches
        first). A generator: a page reads only as far as it needs."""
        groups = [organisations] if first_ones is None else [organisations & first_ones, organisations & ~first_ones]
        order, keys = self.order[language], self.keys[language]
        for group in groups:
            if group.bit_count() * SPARSE < len(order):
                # A few among many: sorting them is quicker than walking the whole order to find them.
                yield from sorted(members(group), key=keys.__getitem__)
                continue
            flags = group.to_bytes((group.bit_length() + 7) >> 3, "little")
            size = len(flags)
            for _key, pk in order:
                byte = pk >> 3
                if byte < size and flags[byte] >> (pk & 7) & 1:
                    yield pk

    def counts(self, facet, organisations):
        """{value: number of these organisations having it} for one facet, zeros left out."""
        if organisations == self.all:
            # No criterion narrows this facet (the first page, or a facet whose own criterion is the only
            # one): the same counts for every such request until the data changes, so counted once.
            if facet not in self.totals:
                self.totals[facet] = self._count(facet, organisations)
            return self.totals[facet]
        return self._count(facet, organisations)

    def _count(self, facet, organisations):
        counts = {}
        for value, members in self.sets[facet].items():
            n = (members & organisations).bit_count()
            if n:
                counts[value] = n
        return counts


def in_language(names, language):
    """The name of a (name_fr, name_en) pair in `language`, else in the other one, else "": the pages'
    rule for translated names (modeltranslation's fallback), for the names the index keeps."""
    first = 1 if language == "en" else 0
    return names[first] or names[1 - first] or ""


def _name_keys(names, language):
    """(id, (sort key, id)) for each organisation: its name in `language` (in_language), folded."""
    return [(pk, (fold(in_language(pair, language)), pk)) for pk, pair in names.items()]


def members(organisations):
    """The ids in a bitset, in increasing order (reads its bytes: cost grows with the highest id / 8 plus
    the number of ids, not with their product)."""
    flags = organisations.to_bytes((organisations.bit_length() + 7) >> 3, "little")
    for byte, value in enumerate(flags):
        while value:
            low = value & -value
            yield (byte << 3) + low.bit_length() - 1
            value ^= low


def _replaced(sets, stale, fresh):
    """{value: bitset} with the `stale` organisations' bits cleared and `fresh` ({value: ids}) added.
    Values left with no organisation are dropped, as a full build would not have them."""
    result = {}
    for value, members in sets.items():
        if members & stale:
            members &= ~stale
        if members:
            result[value] = members
    for value, pks in fresh.items():
        result[value] = result.get(value, 0) | bitset(pks)
    return result


# Past these, catching up is not worth it (or not possible): a full build instead. Generations: the log
# entries to read (one cache read for all of them on Redis); organisations: the ids in the IN lists.
MAX_GENERATIONS_BEHIND = 500
MAX_CHANGED = 2_000

_lock = threading.Lock()
_indexes = {}  # database alias -> (generation, FacetIndex)


def facet_index(using="default"):
    """The index for the current directory generation: the previous one caught up with the logged changes
    when they are all known, else built from scratch."""
    cached = _indexes.get(using)
    if cached and cached[0] == generation():
        return cached[1]
    with _lock:
        current = generation()  # read again: another thread may have caught up meanwhile
        cached = _indexes.get(using)
        if cached and cached[0] == current:
            return cached[1]
        changed = _changed_since(cached[0], current) if cached else None
        index = FacetIndex(using) if changed is None else cached[1].updated(changed, using)
        _indexes[using] = (current, index)
        return index


def _changed_since(old, new):
    """The organisations changed between two generations, or None to rebuild from scratch."""
    if not 0 < new - old <= MAX_GENERATIONS_BEHIND:
        return None  # far behind, or the generation restarted (state cache flushed)
    changed = logged_changes(old, new)
    if changed is None or len(changed) > MAX_CHANGED:
        return None
    return changed


def warm_up():
    """Build the index before any request needs it: called by gunicorn's master (gunicorn.conf.py) before
    it forks the workers, so every worker, and every worker restarted later (max_requests), starts with
    it in memory (shared copy-on-write) and only catches up with the changes since, instead of spending
    seconds building its own while requests wait. The database connection is closed afterwards: a
    connection must not be shared by forked processes. A database that cannot be reached is logged, not
    fatal: the first search builds the index then."""
    from django.db import DatabaseError, connections

    try:
        facet_index(Organisation.objects.db)
    except DatabaseError:
        logger.exception("facet index not built at start-up")
    finally:
        connections.close_all()
