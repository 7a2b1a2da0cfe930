"""Who worked with whom: THE definition, used by the profiles, the search criterion, the network page and
its exports.

The members of an action are its owner (the organisation whose experience it is) and the participants it
lists that are organisations of the directory. Two organisations worked together when both are members of
one action. Only what the public may see counts: a published owner's action, published members. Participants
not listed in the directory are shown on the action itself, never in a partnership.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q

from institutions.models import Organisation

from .models import Experience, ExperienceCountry, Participant

PUBLIC_ACTION = Q(organisation__published=True)  # on Experience
PUBLIC_MEMBER = Q(organisation__published=True, experience__organisation__published=True)  # on Participant
# The participants an action shows: its public members, and the organisations not listed here (by name).
SHOWN_PARTICIPANT = Q(organisation__isnull=True) | Q(organisation__published=True)  # on Participant


def actions_of(organisation_ids):
    """The public actions these organisations are members of (as owner or as a listed participant)."""
    as_participant = Participant.objects.filter(PUBLIC_MEMBER, organisation_id__in=organisation_ids)
    return Experience.objects.filter(PUBLIC_ACTION).filter(
        Q(organisation_id__in=organisation_ids) | Q(pk__in=as_participant.values("experience_id"))
    )


def memberships(actions):
    """(action id, member organisation id, start date, end date) of every public member of these public
    actions (an Experience queryset): two queries, the owners then the listed participants."""
    owners = Experience.objects.using(actions.db).filter(pk__in=actions.values("pk")).order_by()
    yield from owners.values_list("pk", "organisation_id", "start_date", "end_date")
    participants = Participant.objects.using(actions.db).filter(PUBLIC_MEMBER, experience_id__in=actions.values("pk"))
    participants = participants.order_by()
    yield from participants.values_list(
        "experience_id", "organisation_id", "experience__start_date", "experience__end_date"
    )


def partners_of(organisation_ids, using="default"):
    """{organisation id: the ids of the organisations it worked with} for these organisations (those with no
    partner left out): what the search criterion partner_of reads (institutions/facets.py). Two queries."""
    wanted = set(organisation_ids)
    members = defaultdict(set)
    if wanted:
        for experience_id, organisation_id, _start, _end in memberships(actions_of(wanted).using(using)):
            members[experience_id].add(organisation_id)
    partners = defaultdict(set)
    for ids in members.values():
        for pk in ids & wanted:
            partners[pk] |= ids - {pk}
    return {pk: others for pk, others in partners.items() if others}


def members_of(experience_id, using="default"):
    """The ids of the public members of this action (none when it is not public). Two queries."""
    action = Experience.objects.using(using).filter(PUBLIC_ACTION, pk=experience_id)
    return {organisation_id for _pk, organisation_id, _start, _end in memberships(action)}


def shared_actions(organisation_ids=None):
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

    def add(self, experience_id, first, last, countries):
        self.actions.add(experience_id)
        self.countries.update(countries)
        self.first_year = first if self.first_year is None else min(self.first_year, first)
        self.last_year = last if self.last_year is None else max(self.last_year, last)


def partnerships(organisation_ids, *, both_in_set=True, with_countries=True):
    """The partnerships of these organisations: {(a, b): Partnership}, a < b. With both_in_set, only the
    pairs whose two organisations are in the set (the network of a search); otherwise every partner of
    one of them (a profile's "Worked with"). Two queries, and one more for the countries when asked."""
    wanted = set(organisation_ids)
    members, dates = defaultdict(set), {}
    for experience_id, organisation_id, start, end in memberships(actions_of(wanted)):
        members[experience_id].add(organisation_id)
        dates[experience_id] = years_of(start, end)
    countries = defaultdict(set)
    shared = [pk for pk, ids in members.items() if len(ids) > 1]
    if with_countries and shared:
        rows = ExperienceCountry.objects.filter(experience_id__in=shared).values_list("experience_id", "country")
        for experience_id, country in rows:
            countries[experience_id].add(country)
    pairs = {}
    for experience_id, ids in members.items():
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                inside = (a in wanted) + (b in wanted)
                if inside == 2 or (inside == 1 and not both_in_set):
                    pair = pairs.setdefault((a, b), Partnership(a, b))
                    pair.add(experience_id, *dates[experience_id], countries[experience_id])
    return pairs


def worked_with(organisation):
    """A profile's "Worked with": [(partner organisation, number of shared actions, first year, last
    year)], the most shared actions first, then by name."""
    pairs = partnerships([organisation.pk], both_in_set=False, with_countries=False)
    other = {(p.b if p.a == organisation.pk else p.a): p for p in pairs.values()}
    partners = Organisation.objects.published().in_bulk(list(other))
    rows = [(partners[pk], len(p.actions), p.first_year, p.last_year) for pk, p in other.items() if pk in partners]
    rows.sort(key=lambda row: (-row[1], str(row[0]).casefold()))
    return rows


def actions_as_partner(organisation):
    """The public actions of other organisations that list this one as a participant, newest first."""
    return (
        Participant.objects.filter(PUBLIC_MEMBER, organisation=organisation)
        .select_related("experience__organisation")
        .order_by("-experience__start_date", "experience_id")
    )
