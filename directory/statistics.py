"""The statistics of a search (/<lang>/statistics/?<criteria>): how many experiences and how much money by
sector category, country of action, start year, role and donor, and how many organisations by kind and
country, under the experiences list's criteria (directory/experience_criteria.py).

Money is counted once: an experience in several sector categories or countries splits its cost evenly among
them (in cents, the odd cents to the first ones by code), so every table's amounts add up to the real sum
of the costs, to the cent. An experience is counted in each category or country it names (so those counts
may add up to more than the number of experiences); one without any is counted under "not given".
"""

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from experiences.models import Experience, ExperienceCountry, Funding

from .criteria import OrganisationFilter, facet_labels, facet_of, shared_criteria
from .experience_criteria import FACET_CRITERION

CENT = Decimal("0.01")
NOT_GIVEN = ""  # the key of the row of experiences that name no sector (or country)


class Row(NamedTuple):
    key: str
    label: str
    count: int
    amount: object  # Decimal, or None where the table counts no money


class Table(NamedTuple):
    name: str  # its id in the page and its rows' "table" in the CSV
    title: str
    dimension: str  # what a row is (the first column's heading)
    counted: str  # what `count` counts
    money: str  # what `amount` sums ("" without money)
    note: str  # how each row was counted
    rows: list
    total_count: object  # the number of experiences (organisations) counted, or None where rows overlap

    @property
    def chart(self):
        return chart(self)

    @property
    def total_amount(self):
        return sum((row.amount for row in self.rows), Decimal(0)) if self.money else None


CHART_BARS = 15  # a chart shows the largest rows; its table, right below, shows them all
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 18, 6, 230, 280, 110  # SVG user units


class Bar(NamedTuple):
    label: str
    value: object  # the number the bar shows (an amount, or a count)
    y: int
    text_y: int  # the baseline of its label and value
    width: int
    value_x: int


class Chart(NamedTuple):
    """A horizontal bar chart, every position worked out here: the template only writes them down."""

    width: int
    height: int
    label_x: int  # labels end here
    bar_x: int  # bars start here
    bars: list
    partial: bool  # showing only the largest rows


def chart(table):
    """The chart of a table: its amounts (its counts for a table without money), the largest CHART_BARS
    rows in the table's order, lengths in proportion to the largest; None without rows."""
    values = [(row, row.amount if table.money else row.count) for row in table.rows]
    if not values:
        return None
    largest = {id(row) for row, _value in sorted(values, key=lambda pair: -pair[1])[:CHART_BARS]}
    shown = [(row, value) for row, value in values if id(row) in largest]
    top = max(value for _row, value in shown) or 1
    step = BAR_HEIGHT + BAR_GAP
    bars = []
    for n, (row, value) in enumerate(shown):
        width = round(BAR_WIDTH * value / top)
        bars.append(Bar(row.label, value, n * step, n * step + 13, width, LABEL_WIDTH + width + 6))
    return Chart(
        width=LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        height=len(bars) * step,
        label_x=LABEL_WIDTH - 8,
        bar_x=LABEL_WIDTH,
        bars=bars,
        partial=len(shown) < len(values),
    )


def in_cents(amount):
    """An amount (a Decimal of at most two places, or None) in whole cents: sums of integers are exact and
    several times faster than sums of Decimals (a million shares at 100,000 organisations)."""
    return int(amount * 100) if amount else 0


def split(cents, keys):
    """{key: its share of `cents`}: even shares, the odd cents to the first keys in order, adding up to
    `cents` exactly."""
    share, odd = divmod(cents, len(keys))
    return {key: share + (1 if n < odd else 0) for n, key in enumerate(keys)}


def split_by(costs, pairs):
    """{key: (experiences, amount)} of these (experience id, key) pairs: each experience of `costs` ({id:
    cost in cents}) counted once under each of its keys (NOT_GIVEN for none), its cost split among them."""
    keys_of = defaultdict(set)
    for pk, key in pairs:
        keys_of[pk].add(key)
    counts, shares = defaultdict(int), defaultdict(int)
    for pk, cents in costs.items():
        keys = sorted(keys_of.get(pk) or [NOT_GIVEN])
        for key, share in split(cents, keys).items():
            counts[key] += 1
            shares[key] += share
    return {key: (counts[key], shares[key] * CENT) for key in counts}


def _cents(amount):
    return None if amount is None else Decimal(amount).quantize(CENT)


def _rows(found, labels, order=None):
    """Rows of {key: (count, amount)} labelled, by `order` (default: most experiences first, then label)."""
    rows = [
        Row(str(key), labels.get(str(key), str(key)) or _("Not given"), n, _cents(amount))
        for key, (n, amount) in found.items()
    ]
    if order is None:
        return sorted(rows, key=lambda row: (not row.key, -row.count, row.label))
    return sorted(rows, key=order)


def statistics(experiences, language):
    """The tables of these criteria (an ExperienceFilter), in `language`: a query per table, one for the
    costs. The organisations are those the organisation search gives for the same criteria."""
    matching = experiences.narrowed().order_by()
    of_matching = {"experience__in": matching.values("pk")}
    labels = facet_labels(language)
    # A plain QuerySet: modeltranslation's goes through each of the 500,000 rows at 100,000 organisations again.
    plain = QuerySet(Experience, matching.query, using=matching.db)
    costs = {pk: in_cents(cost) for pk, cost in plain.values_list("pk", "cost")}
    money = _("Cost of the actions (EUR)")
    sectors = Experience.sectors.through.objects.filter(**of_matching)
    by_category = split_by(costs, sectors.values_list("experience_id", "sector__category__code"))
    countries = ExperienceCountry.objects.filter(**of_matching)
    by_country = split_by(costs, countries.values_list("experience_id", "country"))
    by_year = matching.values_list(ExtractYear("start_date")).annotate(n=Count("pk"), amount=Sum("cost"))
    by_role = matching.values_list("role").annotate(n=Count("pk"), amount=Sum("cost"))
    by_donor = (
        Funding.objects.filter(**of_matching)
        .order_by()
        .values_list("donor_id")
        .annotate(n=Count("experience_id", distinct=True), amount=Sum("amount"))
    )
    organisations = OrganisationFilter(QueryDict(shared_criteria(experiences, OrganisationFilter)))
    organisations = organisations.narrowed().order_by()
    by_kind = organisations.values_list("kind").annotate(n=Count("pk"))
    by_organisation_country = organisations.values_list("country").annotate(n=Count("pk"))
    zero = Decimal(0)
    sector_note = _(
        "An experience in several sector categories is counted in each; its cost is split evenly among them, so "
        "that the amounts add up to the total cost."
    )
    country_note = _(
        "An experience in several countries is counted in each; its cost is split evenly among them, so that the "
        "amounts add up to the total cost."
    )
    experiences = len(costs)
    by_year = {year: (n, amount or zero) for year, n, amount in by_year}
    by_kind = {kind: (n, None) for kind, n in by_kind}
    return [
        Table("sector", _("Experiences by sector category"), _("Sector category"), _("Experiences"), money, sector_note,
              _rows(by_category, labels["experience_sector_category"], order=lambda row: (not row.key, row.key)),
              experiences),
        Table("country", _("Experiences by country of action"), _("Country of action"), _("Experiences"), money,
              country_note, _rows(by_country, labels["worked_in"]), experiences),
        Table("year", _("Experiences by start year"), _("Start year"), _("Experiences"), money, "",
              _rows(by_year, {}, order=lambda row: row.key), experiences),
        Table("role", _("Experiences by role of the organisation"), _("Role in the action"), _("Experiences"), money,
              "", _rows({role: (n, amount or zero) for role, n, amount in by_role}, labels["role"]), experiences),
        Table("donor", _("Experiences and fundings by donor"), _("Donor"), _("Experiences funded"),
              _("Amounts contributed (EUR)"), _("An experience funded by several donors is counted under each."),
              _rows({str(donor): (n, amount) for donor, n, amount in by_donor}, labels["donor"]), None),
        Table("kind", _("Organisations by kind"), _("Kind of organisation"), _("Organisations"), "", "",
              _rows(by_kind, labels["kind"]), sum(n for n, _none in by_kind.values())),
        Table("organisation_country", _("Organisations by country"), _("Country of the organisation"),
              _("Organisations"), "", "",
              _rows({country: (n, None) for country, n in by_organisation_country}, labels["country"]),
              sum(n for n, _none in by_kind.values())),
    ]  # fmt: skip


def criteria_summary(filterset, language):
    """["criterion: its values"] of the criteria in force, in `language`, for captions."""
    labels = filterset.labels(language)
    summary = defaultdict(list)
    for name, value in filterset.criteria_pairs:
        if name == "sort":
            continue
        if name in FACET_CRITERION.values():
            value = labels[facet_of(name, value)].get(value, value)
        summary[name].append(value)
    with translation.override(language):
        return [
            gettext("%(criterion)s: %(values)s") % {"criterion": filterset.filters[name].label, "values": ", ".join(v)}
            for name, v in summary.items()
        ]
