"""Who worked with whom: THE definition, used by the profiles, the search criterion, the network page and
its exports.

The members of an action are its owner (the organisation whose experience it is) and the participants it
lists that are organisations of the directory. Two organisations worked together when both are members of
one action. Only what the public may see counts: a published owner's action, published members. Participants
not listed in the directory are shown on the action itself, never in a partnership. Every reading of the
members goes through listed_memberships().
"""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from institutions.models import Organisation

from .models import Experience, ExperienceCountry, Participant

PUBLIC_ACTION = Q(organisation__published=True)  # on Experience
PUBLIC_MEMBER = Q(organisation__published=True, experience__organisation__published=True)  # on Participant
# On Participant, for a public action: the participants it shows (an unlisted one by its name, a listed one
# while its organisation is published).
SHOWN_PARTICIPANT = Q(organisation__isnull=True) | Q(organisation__published=True)


def listed_memberships(*, actions=None, organisations=None, using=None):
    """(experience id, its owner's id, the participant's organisation id, start date, end date) of every
    listed participant that is a public member of its action: of these actions (experience ids, or a
    queryset of them) or of these organisations (ids of the participants' organisations). One query, a list
    of ids sent as one parameter whatever its length, no ordering asked; on the database `using` (the one a
    signal's save writes to), else the default.

    An action's members are its owner and these rows' organisations: an action without such a row has its
    owner alone, and pairs nobody, so what partnerships are made of is read from the participants alone
    (the 50,000 actions of the generated 10,000 organisations need not be read for their owners)."""
    # A plain queryset: plain values, no translated fields, without modeltranslation's row wrapping.
    listed = QuerySet(Participant, using=using).filter(PUBLIC_MEMBER).order_by()
    if isinstance(actions, QuerySet):
        listed = listed.filter(experience__in=actions)
    elif actions is not None:
        listed = listed.filter(experience__id__among=list(actions))
    if organisations is not None:
        listed = listed.filter(organisation__id__among=list(organisations))
    return listed.values_list(
        "experience_id", "experience__organisation_id", "organisation_id", "experience__start_date",
        "experience__end_date",
    )  # fmt: skip


def members_of(experience_ids, using=None):
    """{experience id: {organisation ids of its public members}} of the given experiences that have more than
    their owner (the others, and those not public, left out): one query."""
    members = defaultdict(set)
    for experience_id, owner, organisation_id, _start, _end in listed_memberships(actions=experience_ids, using=using):
        members[experience_id] |= {owner, organisation_id}
    return members


def actions_of(organisation_ids):
    """The public actions these organisations are members of (as owner or as a listed participant). The ids
    of the two kinds are a UNION: with "owner in … OR id in (participants …)" PostgreSQL read every
    experience (90 ms for a profile at 10,000 generated organisations, against 0.4 ms)."""
    owned = QuerySet(Experience).filter(organisation_id__in=organisation_ids).values("pk")
    joined = Participant.objects.filter(PUBLIC_MEMBER, organisation_id__in=organisation_ids).values("experience_id")
    return Experience.objects.filter(PUBLIC_ACTION, pk__in=owned.union(joined))


def years_of(start_date, end_date):
    return start_date.year, (end_date or start_date).year


@dataclass
class Partnership:
    """Two organisations (a < b by id) and the public actions they share."""

    a: int
    b: int
    actions: set = field(default_factory=set)
    countries: set = field(default_factory=set)
    first_year: int | None = None
    last_year: int | None = None

    @classmethod
    def of(cls, a, b, actions, dates, countries):
        """The partnership of a and b in these actions, given {action: (first year, last year)} and
        {action: its countries}."""
        if len(actions) == 1:  # most pairs: one action together
            (pk,) = actions
            return cls(a, b, {pk}, set(countries[pk]), *dates[pk])
        return cls(
            a,
            b,
            set(actions),
            set().union(*(countries[pk] for pk in actions)),
            min(dates[pk][0] for pk in actions),
            max(dates[pk][1] for pk in actions),
        )

    def add(self, experience_id, first, last, countries):
        self.actions.add(experience_id)
        self.countries.update(countries)
        self.first_year = first if self.first_year is None else min(self.first_year, first)
        self.last_year = last if self.last_year is None else max(self.last_year, last)


def partnerships(organisation_ids, *, both_in_set=True):
    """The partnerships of these organisations: {(a, b): Partnership}, a < b. With both_in_set, only the
    pairs whose two organisations are in the set (the network of a search); otherwise every partner of one
    of them (a profile's "Worked with")."""
    shared, dates = actions_by_pair(organisation_ids, both_in_set=both_in_set)
    return described(shared, dates)


def actions_by_pair(organisation_ids, *, both_in_set=True, using=None):
    """({(a, b): [their shared actions]}, {action: (first year, last year)}), a < b, the pairs as
    partnerships() chooses them, without their countries: what a network's figures need. One query whatever
    the number of organisations. organisation_ids None (with both_in_set): every published organisation, the
    whole directory's network, read without sending their ids."""
    wanted = None if organisation_ids is None else set(organisation_ids)
    members, dates = defaultdict(set), {}
    if both_in_set:  # the members in the set of the actions having at least one listed participant in it
        rows = listed_memberships(organisations=wanted, using=using)
    else:  # every member of the actions one of these organisations is a member of
        rows = listed_memberships(actions=actions_of(wanted).values("pk"), using=using)
    every_owner = not both_in_set or wanted is None
    for experience_id, owner, organisation_id, start, end in rows:
        found = members[experience_id]
        found.add(organisation_id)
        if every_owner or owner in wanted:
            found.add(owner)
        dates[experience_id] = start, end
    shared = defaultdict(list)
    for experience_id, ids in members.items():
        pairs = combinations(sorted(ids), 2)
        if not both_in_set:  # one of the two must be in the set (with both_in_set, every member read is)
            pairs = [pair for pair in pairs if pair[0] in wanted or pair[1] in wanted]
        for pair in pairs:
            shared[pair].append(experience_id)
    return shared, {pk: years_of(start, end) for pk, (start, end) in dates.items()}


def described(shared, dates, keys=None):
    """{(a, b): Partnership} of these pairs of actions_by_pair() (all, or those of `keys`), with their
    countries: one query."""
    keys = list(shared) if keys is None else list(keys)
    actions = {pk for key in keys for pk in shared[key]}
    countries = defaultdict(set)
    if actions:
        rows = ExperienceCountry.objects.filter(experience__id__among=list(actions)).order_by()
        for experience_id, country in rows.values_list("experience_id", "country"):
            countries[experience_id].add(country)
    return {(a, b): Partnership.of(a, b, shared[a, b], dates, countries) for a, b in keys}


def worked_with(organisation):
    """A profile's "Worked with": [(partner organisation, number of shared actions, first year, last
    year)], the most shared actions first, then by name. Their countries are not read."""
    shared, dates = actions_by_pair([organisation.pk], both_in_set=False)
    other = {(b if a == organisation.pk else a): actions for (a, b), actions in shared.items()}
    partners = Organisation.objects.published().in_bulk(list(other))
    rows = [
        (
            partners[pk],
            len(actions),
            min(dates[action][0] for action in actions),
            max(dates[action][1] for action in actions),
        )
        for pk, actions in other.items()
        if pk in partners
    ]
    rows.sort(key=lambda row: (-row[1], str(row[0]).casefold()))
    return rows


def actions_as_partner(organisation):
    """The public actions of other organisations that list this one as a participant, newest first."""
    return (
        Participant.objects.filter(PUBLIC_MEMBER, organisation=organisation)
        .select_related("experience__organisation")
        .order_by("-experience__start_date", "experience_id")
    )


def partners_of(organisation_ids, using=None):
    """{organisation id: the ids of the organisations it worked with} for these organisations (those with no
    partner left out): what the search criterion partner_of reads (institutions/facets.py)."""
    wanted = set(organisation_ids)
    partners = defaultdict(set)
    if wanted:
        for a, b in actions_by_pair(wanted, both_in_set=False, using=using)[0]:
            if a in wanted:
                partners[a].add(b)
            if b in wanted:
                partners[b].add(a)
    return partners


def actions_with_partners(organisation_ids=None):
    """The public actions with at least two public members (those partnerships are made of); with
    `organisation_ids`, those that one of these organisations is a member of: an experience search's
    partner_of."""
    other_member = Participant.objects.filter(PUBLIC_MEMBER, experience=OuterRef("pk")).exclude(
        organisation=OuterRef("organisation")
    )
    actions = Experience.objects.filter(PUBLIC_ACTION) if organisation_ids is None else actions_of(organisation_ids)
    return actions.filter(Exists(other_member))


def listed_participants():
    """The participants that are public members of their action (its owner named again left out)."""
    return Participant.objects.filter(PUBLIC_MEMBER).exclude(organisation=F("experience__organisation"))
