"""IATI 2.03 activities: one iati-activity per experience, built with lxml and written as it goes.

The XSD (api/schemas/iati-2.03/) fixes the order and types of the elements; the codelist values and the
percentage sums it does not check are the constants and helpers below (tests/test_iati.py checks them).
Codelists: https://iatistandard.org/en/iati-standard/203/codelists/
"""

import datetime
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from io import BytesIO

from django.conf import settings
from django.utils import timezone
from lxml import etree

from experiences.models import Experience, ExperienceCountry, Funding, Participant
from experiences.partnerships import SHOWN_PARTICIPANT
from institutions.models import Organisation

IATI_VERSION = "2.03"
CURRENCY = "EUR"
BATCH = 500  # experiences read and written at a time: memory stays flat however long the file
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGES = [code for code, _name in settings.LANGUAGES]

# OrganisationType codelist: 11 Local Government, 21 International NGO, 22 National NGO, 90 Other.
ORGANISATION_TYPE = {
    Organisation.Kind.MUNICIPALITY: "11",
    Organisation.Kind.REGIONAL_AUTHORITY: "11",
    Organisation.Kind.NATIONAL_ASSOCIATION: "22",
    Organisation.Kind.INTERNATIONAL_NETWORK: "21",
    Organisation.Kind.OTHER: "90",
}
# OrganisationRole codelist: 1 Funding, 2 Accountable, 4 Implementing.
FUNDING_ROLE = "1"
ORGANISATION_ROLE = {
    Experience.Role.COORDINATOR: "2",
    Experience.Role.PARTNER: "4",
    Experience.Role.ASSOCIATE: "4",
}
# ActivityStatus codelist: 1 Pipeline/identification, 2 Implementation, 4 Closed.
STATUS_PIPELINE, STATUS_IMPLEMENTATION, STATUS_CLOSED = "1", "2", "4"
# ActivityDateType codelist: 1 Planned start, 2 Actual start, 3 Planned end, 4 Actual end.
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"
# DescriptionType codelist: 1 General, 2 Objectives, 4 Other (our "results of the action").
DESCRIPTION_GENERAL, DESCRIPTION_OBJECTIVES, DESCRIPTION_OTHER = "1", "2", "4"
SECTOR_VOCABULARY_DAC5 = "1"  # SectorVocabulary: OECD DAC CRS purpose codes (5 digit)
BUDGET_ORIGINAL, BUDGET_INDICATIVE = "1", "1"  # BudgetType 1 Original, BudgetStatus 1 Indicative
INCOMING_COMMITMENT = "11"  # TransactionType

EXPERIENCE_VALUES = [
    *("id", "organisation_id", "role", "start_date", "end_date", "cost", "updated"),
    *(f"{field}_{code}" for field in ("title", "objectives", "results") for code in LANGUAGES),
]
ORGANISATION_VALUES = ["id", "kind", "iati_identifier", *(f"name_{code}" for code in LANGUAGES)]


def organisation_ref(organisation):
    """The organisation's IATI identifier, else one under the directory's own prefix (IATI_PREFIX)."""
    return organisation["iati_identifier"] or f"{settings.IATI_PREFIX}-{organisation['id']}"


def shares(count):
    """`count` percentages with two decimals that sum to exactly 100 (the last takes the remainder)."""
    if not count:
        return []
    each = (Decimal(100) / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [each] * (count - 1) + [Decimal(100) - each * (count - 1)]


def _a_year_later(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def budget_periods(start, end, cost):
    """(start, end, value) periods of at most one year (IATI's rule) from start to end; the cost is shared
    by number of days, in cents, the last period taking what rounding left."""
    periods = []
    period_start = start
    while period_start <= end:
        period_end = min(_a_year_later(period_start) - datetime.timedelta(days=1), end)
        periods.append((period_start, period_end))
        period_start = period_end + datetime.timedelta(days=1)
    total_days = (end - start).days + 1
    result, given = [], Decimal(0)
    for n, (first, last) in enumerate(periods):
        if n == len(periods) - 1:
            value = cost - given
        else:
            value = (cost * ((last - first).days + 1) / total_days).quantize(Decimal("0.01"))
            given += value
        result.append((first, last, value))
    return result


def activity_status(start, end, today):
    if start > today:
        return STATUS_PIPELINE
    if end is not None and end < today:
        return STATUS_CLOSED
    return STATUS_IMPLEMENTATION


def _narratives(parent, texts):
    """One narrative per language that has a text: texts is {"fr": ..., "en": ...}."""
    for code in LANGUAGES:
        if texts.get(code):
            etree.SubElement(parent, "narrative", {XML_LANG: code}).text = texts[code]


def _texts(values, field):
    return {code: values[f"{field}_{code}"] for code in LANGUAGES}


def _money(parent, tag, amount, value_date):
    etree.SubElement(parent, tag, {"value-date": value_date.isoformat()}).text = str(amount)


class ActivityData:
    """One experience and what its activity shows, read in plain values (see batches())."""

    def __init__(self, experience, organisation, sectors, countries, fundings, participants=()):
        self.experience = experience
        self.organisation = organisation
        self.sectors = sectors  # 5-digit codes
        self.countries = countries  # ISO 3166 alpha-2
        self.fundings = fundings  # (donor id, {"fr": name, "en": name}, amount)
        # (role, organisation values as ORGANISATION_VALUES, or None and the name and kind of one not listed)
        self.participants = participants


def activity(data, language, today, note=""):
    """The iati-activity element of one experience. `note` is a comment for a directory-made identifier."""
    experience, organisation = data.experience, data.organisation
    ref = organisation_ref(organisation)
    attributes = {
        "last-updated-datetime": experience["updated"].replace(microsecond=0).isoformat(),
        XML_LANG: language,
        "default-currency": CURRENCY,
    }
    element = etree.Element("iati-activity", attributes)
    if not organisation["iati_identifier"]:
        element.append(etree.Comment(f" {note} "))
    etree.SubElement(element, "iati-identifier").text = f"{ref}-{experience['id']}"
    kind = ORGANISATION_TYPE[organisation["kind"]]
    names = _texts(organisation, "name")
    # The directory reports on the organisation's behalf unless the organisation has its own identifier
    # (then the file is the organisation's own report, ready for it to publish).
    secondary = "0" if organisation["iati_identifier"] else "1"
    reporting = etree.SubElement(element, "reporting-org", ref=ref, type=kind)
    reporting.set("secondary-reporter", secondary)
    _narratives(reporting, names)
    _narratives(etree.SubElement(element, "title"), _texts(experience, "title"))
    objectives, results = _texts(experience, "objectives"), _texts(experience, "results")
    if any(objectives.values()):
        _narratives(etree.SubElement(element, "description", type=DESCRIPTION_OBJECTIVES), objectives)
    if any(results.values()):
        _narratives(etree.SubElement(element, "description", type=DESCRIPTION_OTHER), results)
    if not any(objectives.values()) and not any(results.values()):  # the XSD wants a description
        _narratives(etree.SubElement(element, "description", type=DESCRIPTION_GENERAL), _texts(experience, "title"))
    donors = {}
    for donor_id, donor_names, _amount in data.fundings:
        donors.setdefault(donor_id, donor_names)
    for donor_names in donors.values():
        _narratives(etree.SubElement(element, "participating-org", role=FUNDING_ROLE), donor_names)
    own = etree.SubElement(element, "participating-org", ref=ref, role=ORGANISATION_ROLE[experience["role"]])
    own.set("type", kind)
    _narratives(own, names)
    for role, listed, name, unlisted_kind in data.participants:
        other = etree.SubElement(element, "participating-org")
        if listed is not None:
            other.set("ref", organisation_ref(listed))
            other.set("role", ORGANISATION_ROLE[role])
            other.set("type", ORGANISATION_TYPE[listed["kind"]])
            _narratives(other, _texts(listed, "name"))
        else:
            other.set("role", ORGANISATION_ROLE[role])
            if unlisted_kind:
                other.set("type", ORGANISATION_TYPE[unlisted_kind])
            # A name as it was typed, in no particular language: the activity's default language applies.
            etree.SubElement(other, "narrative").text = name
    start, end = experience["start_date"], experience["end_date"]
    etree.SubElement(element, "activity-status", code=activity_status(start, end, today))
    start_type = ACTUAL_START if start <= today else PLANNED_START
    etree.SubElement(element, "activity-date", {"type": start_type, "iso-date": start.isoformat()})
    if end is not None:
        end_type = ACTUAL_END if end <= today else PLANNED_END
        etree.SubElement(element, "activity-date", {"type": end_type, "iso-date": end.isoformat()})
    for code, percentage in zip(data.countries, shares(len(data.countries)), strict=True):
        etree.SubElement(element, "recipient-country", code=code, percentage=str(percentage))
    for code, percentage in zip(data.sectors, shares(len(data.sectors)), strict=True):
        etree.SubElement(element, "sector", vocabulary=SECTOR_VOCABULARY_DAC5, code=code, percentage=str(percentage))
    # A budget needs its periods: an action still going without an end date has none.
    if experience["cost"] is not None and end is not None:
        for first, last, value in budget_periods(start, end, experience["cost"]):
            budget = etree.SubElement(element, "budget", type=BUDGET_ORIGINAL, status=BUDGET_INDICATIVE)
            etree.SubElement(budget, "period-start", {"iso-date": first.isoformat()})
            etree.SubElement(budget, "period-end", {"iso-date": last.isoformat()})
            _money(budget, "value", value, first)
    # The directory knows no date for a funding: the commitment is dated at the start of the action, or
    # today for one that has not started (IATI: a transaction is never dated in the future).
    committed = min(start, today)
    for _donor_id, donor_names, amount in data.fundings:
        transaction = etree.SubElement(element, "transaction")
        etree.SubElement(transaction, "transaction-type", code=INCOMING_COMMITMENT)
        etree.SubElement(transaction, "transaction-date", {"iso-date": committed.isoformat()})
        _money(transaction, "value", amount, committed)
        _narratives(etree.SubElement(transaction, "provider-org"), donor_names)
        receiver = etree.SubElement(transaction, "receiver-org", ref=ref, type=kind)
        _narratives(receiver, names)
    return element


def batches(experiences):
    """ActivityData for each experience of the queryset `experiences`, in its order, read BATCH at a time:
    seven queries a batch (ids first, then the experiences, their organisations, sectors, countries,
    fundings and participants as plain values), however many experiences."""
    ids = list(experiences.values_list("id", flat=True))
    for offset in range(0, len(ids), BATCH):
        yield from _batch(ids[offset : offset + BATCH])


def _batch(ids):
    rows = {row["id"]: row for row in Experience.objects.filter(id__in=ids).values(*EXPERIENCE_VALUES)}
    organisation_ids = {row["organisation_id"] for row in rows.values()}
    organisations = Organisation.objects.filter(id__in=organisation_ids).values(*ORGANISATION_VALUES)
    organisations = {row["id"]: row for row in organisations}
    sectors, countries, fundings = defaultdict(list), defaultdict(list), defaultdict(list)
    links = Experience.sectors.through.objects.filter(experience_id__in=ids).order_by("sector__code")
    for pk, code in links.values_list("experience_id", "sector__code"):
        sectors[pk].append(code)
    for pk, code in (
        ExperienceCountry.objects.filter(experience_id__in=ids).order_by("id").values_list("experience_id", "country")
    ):
        countries[pk].append(code)
    donor_fields = [f"donor__name_{code}" for code in LANGUAGES]
    for pk, donor_id, amount, *donor_names in (
        Funding.objects.filter(experience_id__in=ids)
        .order_by("id")
        .values_list("experience_id", "donor_id", "amount", *donor_fields)
    ):
        fundings[pk].append((donor_id, dict(zip(LANGUAGES, donor_names, strict=True)), amount))
    participants = defaultdict(list)
    listed_fields = [f"organisation__{name}" for name in ORGANISATION_VALUES]
    for pk, role, name, kind, *listed in (
        Participant.objects.filter(SHOWN_PARTICIPANT, experience_id__in=ids)
        .order_by("id")
        .values_list("experience_id", "role", "name", "kind", *listed_fields)
    ):
        listed = dict(zip(ORGANISATION_VALUES, listed, strict=True)) if listed[0] is not None else None
        participants[pk].append((role, listed, name, kind))
    for pk in ids:
        row = rows[pk]
        yield ActivityData(
            row, organisations[row["organisation_id"]], sectors[pk], countries[pk], fundings[pk], participants[pk]
        )


def document(activities, language, note):
    """The IATI file as chunks of bytes: the root element, then each activity as soon as it is built."""
    today = timezone.localdate()
    buffer = BytesIO()
    root = {"version": IATI_VERSION, "generated-datetime": timezone.now().replace(microsecond=0).isoformat()}
    with etree.xmlfile(buffer, encoding="UTF-8") as xml:
        xml.write_declaration()
        with xml.element("iati-activities", root):
            xml.write("\n")
            for data in activities:
                xml.write(activity(data, language, today, note), pretty_print=True)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
