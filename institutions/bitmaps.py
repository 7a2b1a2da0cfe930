"""Facet counts from bitmaps, on PostgreSQL: one AND and one bit count per facet value.

Counting by GROUP BY over the FacetValue rows of the matching organisations (directory/criteria.py) visits
about 40 rows per organisation: 2 s for a common word at 100,000 organisations. Here each facet value has a
bitmap of the published organisations that have it (model FacetBitmap: bit i of chunk c is the organisation
with id c * CHUNK + i), and a search's counts are `bit_count(value's bits & matching bits)` for every value,
computed inside PostgreSQL: about 800 values of 8 KiB per 65,536 organisations, whatever the search.

In Python a set of organisations is a plain int whose bit i stands for the organisation with id i; the
column holds each chunk as `format(part, "0{CHUNK}b")` reads it, the chunk's last organisation first (so SQL
never computes a position: it only ANDs and counts); it is sent in hexadecimal (_column).

The bitmaps are derived from FacetValue and change in the same transaction (institutions/facets.py calls
`update_bitmaps` whenever it re-reads organisations' values), so they are exactly as current as the data, on
every server, with nothing to rebuild. Other databases (SQLite: the small default install) count by GROUP BY.

A sparse facet (SPARSE_FACETS: "Worked with", one value per organisation that has a partner, each held by a
few organisations) has no bitmaps: 8 KiB for each of its 9,700 values at 10,000 organisations would be
76 MB, and ANDing them all 100 ms a search. Its chosen values are read from their FacetValue rows (one more
query, only when one is chosen); directory/criteria.py counts it from those rows.
"""

from collections import defaultdict
from itertools import groupby

from django.db import connections
from django.db.models import Q

from .models import FacetBitmap, FacetValue

CHUNK = 65536  # organisations per bitmap row: 8 KiB
MASK = (1 << CHUNK) - 1
SPARSE_FACETS = frozenset({FacetValue.PARTNER_OF})

# The rows an update may change, locked in one order (id) so that two edits never wait for each other in a
# circle: those holding a bit of the organisations re-read, and those of the values they now have.
_LOCK = """
SELECT b.id, b.chunk, b.facet, b.value, b.bits
FROM institutions_facetbitmap b
JOIN unnest(%s::integer[], %s::varbit[]) AS o(chunk, bits) ON o.chunk = b.chunk
WHERE bit_count(b.bits & o.bits) > 0
   OR (b.chunk, b.facet, b.value) IN (SELECT * FROM unnest(%s::integer[], %s::varchar[], %s::varchar[]))
ORDER BY b.id
FOR UPDATE OF b
"""

_UPDATE = """
UPDATE institutions_facetbitmap AS b SET bits = u.bits
FROM unnest(%s::integer[], %s::varbit[]) AS u(id, bits)
WHERE b.id = u.id
"""

# A value no organisation had in that chunk: a new row. Another transaction may have added the same row
# meanwhile: then its bits and these are ORed together.
_INSERT = """
INSERT INTO institutions_facetbitmap (chunk, facet, value, bits)
SELECT * FROM unnest(%s::integer[], %s::varchar[], %s::varchar[], %s::varbit[])
ON CONFLICT (chunk, facet, value) DO UPDATE SET bits = institutions_facetbitmap.bits | EXCLUDED.bits
"""

# For each (facet, set of organisations) asked: every value of the facet and how many of those organisations
# have it. Each set is sent once, however many facets are counted over it (a chunk's column is 65,536
# characters for the driver to write out); a set with a NULL chunk means every published organisation.
# Counted per chunk first (MATERIALIZED: grouping the joined rows directly would sort their 8 KiB bitmaps),
# then added up.
_COUNT = """
WITH counted AS MATERIALIZED (
    SELECT b.facet, b.value, bit_count(COALESCE(b.bits & s.bits, b.bits)) AS n
    FROM unnest(%s::varchar[], %s::integer[]) AS a(facet, set)
    JOIN unnest(%s::integer[], %s::integer[], %s::varbit[]) AS s(set, chunk, bits) ON s.set = a.set
    JOIN institutions_facetbitmap b ON b.facet = a.facet AND (s.chunk IS NULL OR b.chunk = s.chunk)
)
SELECT facet, value, SUM(n)::integer FROM counted GROUP BY facet, value
"""


def enabled(using):
    return connections[using].vendor == "postgresql"


def to_bitmap(ids):
    """The set of these organisation ids, as an int."""
    ids = list(ids)
    if not ids:
        return 0
    bits = bytearray(max(ids) // 8 + 1)
    for pk in ids:
        bits[pk >> 3] |= 1 << (pk & 7)
    return int.from_bytes(bits, "little")


def _chunks(bitmap):
    """{chunk number: its part of the bitmap} for the chunks holding at least one organisation."""
    parts, chunk = {}, 0
    while bitmap:
        if part := bitmap & MASK:
            parts[chunk] = part
        bitmap >>= CHUNK
        chunk += 1
    return parts


def _column(part):
    """A chunk as the column's text: in hexadecimal (bit varying reads "x…"), a quarter of the characters of
    its binary form for the driver to write out and PostgreSQL to read; the same bits in the same order."""
    return "x" + format(part, f"0{CHUNK // 4}x")


def update_bitmaps(organisation_ids, values, using="default"):
    """The organisations `organisation_ids` now have exactly these (organisation id, facet, value): set their
    bits accordingly, in the caller's transaction. Only rows whose bits change are written."""
    if not enabled(using):
        return
    cleared = _chunks(to_bitmap(organisation_ids))
    if not cleared:
        return
    by_value = defaultdict(list)
    for pk, facet, value in values:
        if facet not in SPARSE_FACETS:
            by_value[facet, value].append(pk)
    added = {}
    for (facet, value), pks in by_value.items():
        for chunk, part in _chunks(to_bitmap(pks)).items():
            added[chunk, facet, value] = part
    keys = sorted(added)
    with connections[using].cursor() as cursor:
        cursor.execute(
            _LOCK,
            [
                list(cleared),
                [_column(part) for part in cleared.values()],
                [chunk for chunk, _, _ in keys],
                [facet for _, facet, _ in keys],
                [value for _, _, value in keys],
            ],
        )
        changed = []
        for pk, chunk, facet, value, bits in cursor.fetchall():
            old = int(bits, 2)
            new = (old & ~cleared[chunk]) | added.pop((chunk, facet, value), 0)
            if new != old:
                changed.append((pk, _column(new)))
        if changed:
            cursor.execute(_UPDATE, [[pk for pk, _ in changed], [bits for _, bits in changed]])
        if added:
            keys = sorted(added)
            cursor.execute(
                _INSERT,
                [
                    [chunk for chunk, _, _ in keys],
                    [facet for _, facet, _ in keys],
                    [value for _, _, value in keys],
                    [_column(added[key]) for key in keys],
                ],
            )


def chosen(values_by_criterion, using="default"):
    """{criterion: the organisations having one of its values} for {criterion: [(facet, value), ...]}."""
    wanted, sparse = Q(), Q()
    for pairs in values_by_criterion.values():
        for facet, value in pairs:
            if facet in SPARSE_FACETS:
                sparse |= Q(facet=facet, value=value)
            else:
                wanted |= Q(facet=facet, value=value)
    if not wanted and not sparse:
        return {}
    bitmaps = defaultdict(int)
    if wanted:
        for facet, value, chunk, bits in (
            FacetBitmap.objects.using(using).filter(wanted).values_list("facet", "value", "chunk", "bits")
        ):
            bitmaps[facet, value] |= int(bits, 2) << (chunk * CHUNK)
    if sparse:  # a few organisations each: their ids (a second query)
        found = defaultdict(list)
        for facet, value, pk in FacetValue.objects.using(using).filter(sparse).values_list(
            "facet", "value", "organisation_id"
        ):
            found[facet, value].append(pk)
        for pair, pks in found.items():
            bitmaps[pair] = to_bitmap(pks)
    return {
        criterion: _union(bitmaps.get(pair, 0) for pair in pairs) for criterion, pairs in values_by_criterion.items()
    }


def intersection(bitmaps):
    """The organisations in every one of these bitmaps (at least one)."""
    bitmaps = iter(bitmaps)
    result = next(bitmaps)
    for bitmap in bitmaps:
        result &= bitmap
    return result


def members(bitmap, ids):
    """Those of `ids` in the bitmap, in their order."""
    bits = bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")
    size = len(bits)
    return [pk for pk in ids if pk >> 3 < size and bits[pk >> 3] >> (pk & 7) & 1]


def _union(bitmaps):
    result = 0
    for bitmap in bitmaps:
        result |= bitmap
    return result


def counts(asked, using="default"):
    """{facet: {value: number}} for `asked`, a list of (facets, organisations): for each of those facets (not
    a sparse one), how many of those organisations (an int as to_bitmap makes; None: every published one)
    have each value. Values nobody there has are left out. One query."""
    facets, facet_sets = [], []
    sets, chunks, columns = [], [], []
    numbers = {}  # organisations -> its number among the sets sent
    for facet_names, organisations in asked:
        if organisations not in numbers:
            numbers[organisations] = number = len(numbers)
            parts = {None: None} if organisations is None else _chunks(organisations)
            for chunk, part in parts.items():
                sets.append(number)
                chunks.append(chunk)
                columns.append(None if part is None else _column(part))
        facets += facet_names
        facet_sets += [numbers[organisations]] * len(facet_names)
    found = defaultdict(dict)
    if not facets:
        return found
    with connections[using].cursor() as cursor:
        cursor.execute(_COUNT, [facets, facet_sets, sets, chunks, columns])
        for facet, value, n in cursor.fetchall():
            if n:
                found[facet][value] = n
    return dict(found)


def ids(bitmap):
    """The organisation ids in the bitmap, in order."""
    bits = bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")
    return [index * 8 + bit for index, byte in enumerate(bits) if byte for bit in range(8) if byte >> bit & 1]


def _expected(using):
    """((facet, value), organisations) as the FacetValue rows say, value by value (the sparse facets have no
    bitmap)."""
    rows = (
        FacetValue.objects.using(using)
        .exclude(facet__in=SPARSE_FACETS)
        .order_by("facet", "value")
        .values_list("facet", "value", "organisation_id")
    )
    for pair, group in groupby(rows.iterator(chunk_size=20000), key=lambda row: row[:2]):
        yield pair, to_bitmap(pk for _, _, pk in group)


def rebuild_bitmaps(using="default"):
    """Every bitmap again from the FacetValue rows (a migration, `manage.py refresh_search`)."""
    if not enabled(using):
        return
    FacetBitmap.objects.using(using).all().delete()
    with connections[using].cursor() as cursor:
        for (facet, value), bitmap in _expected(using):
            parts = _chunks(bitmap)
            cursor.execute(
                _INSERT, [list(parts), [facet] * len(parts), [value] * len(parts), [_column(p) for p in parts.values()]]
            )


def mismatches(using="default"):
    """(facet, value) whose bitmap differs from the FacetValue rows: none, unless something wrote one
    without the other (the tests check it after every kind of edit)."""
    stored = defaultdict(int)
    for facet, value, chunk, bits in FacetBitmap.objects.using(using).values_list("facet", "value", "chunk", "bits"):
        stored[facet, value] |= int(bits, 2) << (chunk * CHUNK)
    wrong = [pair for pair, bitmap in _expected(using) if stored.pop(pair, 0) != bitmap]
    return sorted(wrong + [pair for pair, bitmap in stored.items() if bitmap])
