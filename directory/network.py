"""The network of a search (/<lang>/partnerships/?<criteria>): the organisations the organisation search
selects and the partnerships between them (experiences/partnerships.py says who worked with whom), as plain
values for the page's table, its drawing and its CSV.

Bounds, so that a broad search makes neither a huge page nor a long request:
- the drawing shows the NODE_LIMIT organisations with the most partners in the network (then the most
  shared actions, then by name), and the partnerships among them; the page says "N of M";
- the page's table lists the TABLE_LIMIT pairs with the most shared actions; the CSV lists them all, up to
  settings.EXPORT_STREAM_LIMIT pairs (as the exports: more is answered with a page asking to narrow).
"""

import hashlib
import heapq
import math
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

import networkx as nx
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import ngettext

from experiences.partnerships import actions_by_pair, described
from institutions.cache import cache_call, generation
from institutions.formatting import country_names
from institutions.models import Organisation

from .criteria import in_language
from .views import profile_url_maker

NODE_LIMIT = 60  # organisations drawn
TABLE_LIMIT = 200  # pairs listed on the page
WIDTH, HEIGHT, MARGIN = 800, 600, 30  # the drawing's viewBox, in its own units
LAYOUT_SEED = 20  # the layout's seed: the same data gives the same drawing
SHORT_NAME = 24  # letters of a name written beside its node (the whole name is its link's)


@dataclass(frozen=True)
class Node:
    pk: int
    slug: str
    name: str
    kind: str
    kind_label: str
    url: str
    acronym: str = ""

    @property
    def short_name(self):
        """What the drawing writes beside the node: its acronym, else its name cut to SHORT_NAME letters."""
        if self.acronym:
            return self.acronym
        return self.name if len(self.name) <= SHORT_NAME else self.name[: SHORT_NAME - 1].rstrip() + "…"


@dataclass(frozen=True)
class Pair:
    a: Node
    b: Node
    actions: int
    countries: list  # country codes, sorted
    country_names: list
    first_year: int
    last_year: int

    @property
    def years(self):
        return str(self.first_year) if self.first_year == self.last_year else f"{self.first_year}–{self.last_year}"


class Network:
    """The pairs of a search's network and its figures: how many organisations the search selects, how
    many of them have a partner in it (`linked`), how many pairs (`count`). Pairs are described (their
    countries: one query) only as asked: the page's table (the TABLE_LIMIT first), every pair (the CSV)."""

    def __init__(self, shared, dates, nodes, selected, language):
        self.shared, self.dates, self.nodes, self.selected = shared, dates, nodes, selected
        self.linked, self.count = len(nodes), len(shared)
        self.names = country_names(language)
        self.rank = {pk: n for n, pk in enumerate(sorted(nodes, key=lambda pk: _by_name(nodes[pk])))}

    def _ordered(self, fewest=0):
        """(sort key, pair) of the pairs sharing at least `fewest` actions: most shared actions first, then by
        the two names (the first by name, then the other)."""
        rank = self.rank
        for key, actions in self.shared.items():
            if len(actions) >= fewest:
                ra, rb = rank[key[0]], rank[key[1]]
                yield (-len(actions), ra, rb, key) if ra < rb else (-len(actions), rb, ra, key)

    def _pairs(self, keys):
        found = described(self.shared, self.dates, keys)
        pairs = []
        for key in keys:
            partnership = found[key]
            first, second = sorted((self.nodes[key[0]], self.nodes[key[1]]), key=_by_name)
            codes = sorted(partnership.countries)
            countries = [self.names.get(code, code) for code in codes]
            actions, years = len(partnership.actions), (partnership.first_year, partnership.last_year)
            pairs.append(Pair(first, second, actions, codes, countries, *years))
        return pairs

    @cached_property
    def table(self):
        """The TABLE_LIMIT first pairs: most shared actions first, then by the two names. Only the pairs
        sharing as many actions as the TABLE_LIMIT-th most can be among them: those alone are ordered by name
        (some 350 of the 87,000 pairs of the generated 10,000 organisations)."""
        fewest = min(heapq.nlargest(TABLE_LIMIT, map(len, self.shared.values())), default=0)
        return self._pairs([item[-1] for item in heapq.nsmallest(TABLE_LIMIT, self._ordered(fewest))])

    @cached_property
    def pairs(self):
        """Every pair, in the table's order."""
        return self._pairs([item[-1] for item in sorted(self._ordered())])


def network(filterset, language):
    """The network of the organisations this OrganisationFilter selects, names in `language`."""
    ids = filterset.matching_ids()
    # No criterion: every published organisation, whose memberships are read without sending their ids.
    whole_directory = all(name == "sort" for name, _value in filterset.criteria_pairs)
    shared, dates = actions_by_pair(None if whole_directory else ids)
    members = {pk for pair in shared for pk in pair}
    kinds = {kind: str(label) for kind, label in Organisation.Kind.choices}  # translated once, not per node
    url_of = profile_url_maker()
    nodes = {}
    # A plain queryset: plain values, without modeltranslation's wrapping of each row (a fifth of the time).
    rows = QuerySet(Organisation).filter(pk__among=members).values_list(
        "pk", "slug", "name_fr", "name_en", "kind", "acronym"
    )
    for pk, slug, name_fr, name_en, kind, acronym in rows:
        label = kinds.get(kind, kind)
        name = in_language((name_fr, name_en), language)
        nodes[pk] = Node(pk, slug, name, kind, label, url_of(slug), acronym)
    return Network(shared, dates, nodes, len(ids), language)


def _by_name(node):
    return node.name.casefold(), node.slug


# --- the drawing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    node: Node
    x: float
    y: float
    r: float
    partners: int
    label: str  # the link's accessible name

    @property
    def text_x(self):
        """Where its short name starts (or ends, in the drawing's right quarter): beside the circle."""
        return round(self.x - self.r - 3 if self.text_anchor == "end" else self.x + self.r + 3, 1)

    @property
    def text_anchor(self):
        return "end" if self.x > WIDTH * 0.75 else "start"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    title: str


@dataclass
class Drawing:
    points: list
    lines: list
    kinds: list  # [(kind, label)] of the kinds drawn, for the legend
    width: int = WIDTH
    height: int = HEIGHT


def drawn_nodes(shared, nodes, limit):
    """The `limit` organisations of these pairs ({(a, b): shared actions}) with the most partners (then
    most shared actions, then by name): those the drawing shows; and every organisation's number of
    partners."""
    partners = Counter(chain.from_iterable(shared))  # each pair counts once for each of its two
    # Only the organisations with as many partners as the limit-th most can be drawn: their shared actions
    # (the first tie-break) are counted for them alone.
    fewest = min(heapq.nlargest(limit, partners.values()), default=0)
    candidates = {pk for pk, n in partners.items() if n >= fewest}
    actions = Counter()
    for (a, b), pair_actions in shared.items():
        if a in candidates:
            actions[a] += len(pair_actions)
        if b in candidates:
            actions[b] += len(pair_actions)
    ranked = heapq.nsmallest(
        limit,
        (nodes[pk] for pk in candidates if pk in nodes),
        key=lambda node: (-partners[node.pk], -actions[node.pk], *_by_name(node)),
    )
    return ranked, partners


def drawing(network, limit=None):
    """The network's drawing: the organisations drawn_nodes() keeps, placed by networkx's ForceAtlas2 layout
    (nodes and edges added in a fixed order, a fixed seed: the same data gives the same drawing), each a
    circle sized by its number of partners, each partnership among them a line as wide as their shared
    actions (1 to 6 units)."""
    kept, partners = drawn_nodes(network.shared, network.nodes, NODE_LIMIT if limit is None else limit)
    if not kept:
        return None
    inside = {node.pk for node in kept}
    shown = sorted(key for key in network.shared if key[0] in inside and key[1] in inside)
    graph = nx.Graph()
    graph.add_nodes_from(sorted(inside))
    graph.add_weighted_edges_from((a, b, len(network.shared[a, b])) for a, b in shown)
    # ForceAtlas2 with strong gravity keeps separate groups of partners near the centre, where a spring
    # layout pushes them to the corners and leaves most of the drawing empty.
    positions = (
        nx.forceatlas2_layout(graph, seed=LAYOUT_SEED, strong_gravity=True, weight="weight")
        if len(kept) > 1
        else {kept[0].pk: (0.0, 0.0)}
    )
    xs = [float(x) for x, _y in positions.values()]
    ys = [float(y) for _x, y in positions.values()]

    def scale(value, low, high, size):
        return round(size / 2 if high == low else MARGIN + (value - low) / (high - low) * (size - 2 * MARGIN), 1)

    place = {
        pk: (scale(x, min(xs), max(xs), WIDTH), scale(y, min(ys), max(ys), HEIGHT)) for pk, (x, y) in positions.items()
    }
    points = []
    for node in sorted(kept, key=lambda node: node.slug):
        x, y = place[node.pk]
        n = partners[node.pk]
        label = ngettext(
            "%(name)s (%(kind)s): %(number)s partner in this network",
            "%(name)s (%(kind)s): %(number)s partners in this network",
            n,
        ) % {
            "name": node.name,
            "kind": node.kind_label,
            "number": n,
        }
        points.append(Point(node, x, y, round(5 + 2 * math.sqrt(n), 1), n, label))
    lines = []
    for key in shown:
        first, second = sorted((network.nodes[key[0]], network.nodes[key[1]]), key=_by_name)
        (x1, y1), (x2, y2), actions = place[first.pk], place[second.pk], len(network.shared[key])
        title = ngettext(
            "%(a)s – %(b)s: %(number)s shared action", "%(a)s – %(b)s: %(number)s shared actions", actions
        ) % {"a": first.name, "b": second.name, "number": actions}
        lines.append(Line(x1, y1, x2, y2, min(actions, 6), title))
    drawn_kinds = {node.kind for node in kept}
    kinds = [(kind, label) for kind, label in Organisation.Kind.choices if kind in drawn_kinds]
    return Drawing(points=points, lines=lines, kinds=kinds)


@dataclass
class Shown:
    """What the page shows of a network: its figures, its table and its drawing (None: nothing to draw)."""

    selected: int
    linked: int
    count: int
    table: list
    drawing: Drawing | None


def shown_network(filterset, query, language):
    """What the page shows of the network of this search, kept in the cache for the directory's generation
    under its canonical query and language (FACET_COUNTS_CACHE=0 turns it off, as for the first search
    page's counts): the whole directory's network takes about a second to compute at 10,000
    organisations, its table and drawing are a few kilobytes."""
    current = generation() if settings.FACET_COUNTS_CACHE else None
    key = f"directory:network:{current}:{language}:{hashlib.sha256(query.encode()).hexdigest()[:32]}"
    shown = cache_call(cache.get, key) if current is not None else None
    if shown is None:
        found = network(filterset, language)
        shown = Shown(found.selected, found.linked, found.count, found.table, drawing(found))
        if current is not None:
            cache_call(cache.set, key, shown, settings.PUBLIC_PAGE_CACHE_TIMEOUT)
    return shown
