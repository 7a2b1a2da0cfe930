"""IATI 2.03 activities (api/iati.py): every file the tests produce is checked against the official XSD,
and against what the XSD cannot check (codelist values, percentages summing to 100, budget periods)."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django_countries import countries
from factories import add_experience, make_aimf
from lxml import etree

from api import iati, views
from experiences.models import Donor, Participant
from institutions.models import Organisation, Sector
from tests.partners.partner_forms import organisation_data

SCHEMA = etree.XMLSchema(etree.parse(str(Path(settings.BASE_DIR) / "api/schemas/iati-2.03/iati-activities-schema.xsd")))
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HUNDRED = Decimal(100)


def url(name, lang="fr", *args):
    with translation.override(lang):
        return reverse(f"opendata:iati_{name}", args=args)


def content(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def checked(response):
    """The IATI file of a response, once it has passed the XSD and the codelist checks below."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    tree = etree.fromstring(content(response))
    SCHEMA.assertValid(tree)
    assert tree.get("version") == "2.03"
    for activity in tree.iter("iati-activity"):
        check_codelists(activity)
    return tree


def percentages(elements):
    return sum((Decimal(e.get("percentage")) for e in elements), Decimal(0))


def check_codelists(activity):
    """What the XSD leaves open: each value from its IATI codelist, each set of percentages summing to 100."""
    assert activity.get("default-currency") == "EUR"
    reporting = activity.find("reporting-org")
    assert reporting.get("type") in {"11", "21", "22", "90"}  # OrganisationType
    assert reporting.get("secondary-reporter") in {"0", "1"}
    assert activity.findtext("iati-identifier").startswith(reporting.get("ref") + "-")
    # Every narrative in French or English, but an unlisted participant's name: typed in no particular
    # language, it takes the activity's default one (no xml:lang).
    unlisted = {p.find("narrative") for p in activity.iter("participating-org") if p.get("ref") is None}
    for element in activity.iter("narrative"):
        assert element.text
        assert element.get(LANG) in {"fr", "en"} or (element in unlisted and element.get(LANG) is None)
    assert {p.get("role") for p in activity.iter("participating-org")} <= {"1", "2", "4"}  # OrganisationRole
    assert activity.find("activity-status").get("code") in {"1", "2", "4"}  # ActivityStatus
    assert {d.get("type") for d in activity.iter("activity-date")} <= {"1", "2", "3", "4"}  # ActivityDateType
    assert {d.get("type") for d in activity.iter("description")} <= {"1", "2", "4"}  # DescriptionType
    recipients = activity.findall("recipient-country")
    assert all(c.get("code") in dict(countries) for c in recipients)
    assert not recipients or percentages(recipients) == HUNDRED
    sectors = activity.findall("sector")
    assert all(s.get("vocabulary") == "1" and len(s.get("code")) == 5 for s in sectors)
    assert set(Sector.objects.filter(code__in=[s.get("code") for s in sectors]).values_list("code", flat=True)) == {
        s.get("code") for s in sectors
    }
    assert not sectors or percentages(sectors) == HUNDRED
    for budget in activity.iter("budget"):
        start = datetime.date.fromisoformat(budget.find("period-start").get("iso-date"))
        end = datetime.date.fromisoformat(budget.find("period-end").get("iso-date"))
        assert start <= end < iati._a_year_later(start)  # at most one year
        assert (budget.get("type"), budget.get("status")) == ("1", "1")
    for transaction in activity.iter("transaction"):
        assert transaction.find("transaction-type").get("code") == "11"  # incoming commitment
        assert transaction.find("transaction-date").get("iso-date") <= timezone.localdate().isoformat()
        assert transaction.find("provider-org/narrative") is not None


def activity_of(tree, experience):
    [found] = [a for a in tree.iter("iati-activity") if a.findtext("iati-identifier").endswith(f"-{experience.pk}")]
    return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_aimf_file_validates_and_shows_its_experiences(client, sectors, lang):
    aimf = make_aimf()
    tree = checked(client.get(url("organisation", lang, aimf.slug)))
    activities = tree.findall("iati-activity")
    assert len(activities) == 2
    first = activities[0]  # newest first
    assert first.findtext("iati-identifier") == f"{settings.IATI_PREFIX}-{aimf.pk}-{aimf.experiences.first().pk}"
    assert first.get(LANG) == lang
    assert [n.text for n in first.findall("title/narrative")] == [
        "Consolidation de la paix, prévention et règlement des conflits",
        "Civilian peace-building, conflict prevention and resolution",
    ]
    assert first.find("reporting-org").get("type") == "21"  # an international network: international NGO
    assert [(p.get("role"), p.findtext("narrative")) for p in first.findall("participating-org")] == [
        ("1", "Commission européenne – Acteurs non étatiques et autorités locales"),
        ("2", "Association internationale des maires francophones"),  # coordinator: accountable
    ]
    assert first.find("activity-status").get("code") == "4"  # ended in 2013
    assert [(d.get("type"), d.get("iso-date")) for d in first.findall("activity-date")] == [
        ("2", "2010-01-01"),
        ("4", "2013-12-31"),
    ]
    assert [(c.get("code"), c.get("percentage")) for c in first.findall("recipient-country")] == [
        ("CI", "50.00"),
        ("BF", "50.00"),
    ]
    budgets = first.findall("budget")
    assert [b.find("period-start").get("iso-date") for b in budgets] == [f"{y}-01-01" for y in range(2010, 2014)]
    assert sum(Decimal(b.findtext("value")) for b in budgets) == Decimal("1100000")
    [transaction] = first.findall("transaction")
    assert transaction.findtext("value") == "830000.00"
    assert transaction.find("value").get("value-date") == "2010-01-01"


def test_without_its_own_identifier_the_file_says_the_prefix_is_the_directorys(client, sectors):
    aimf = make_aimf()
    body = content(client.get(url("organisation", "en", aimf.slug))).decode()
    assert f"this activity's identifier uses the directory's own prefix {settings.IATI_PREFIX}" in body
    tree = etree.fromstring(body.encode())
    assert {a.find("reporting-org").get("secondary-reporter") for a in tree.iter("iati-activity")} == {"1"}


def test_with_its_own_identifier_the_organisation_reports_itself(client, sectors):
    aimf = make_aimf(iati_identifier="FR-RNA-W751234567")
    body = content(client.get(url("organisation", "fr", aimf.slug))).decode()
    tree = checked(client.get(url("organisation", "fr", aimf.slug)))
    assert all(a.findtext("iati-identifier").startswith("FR-RNA-W751234567-") for a in tree.iter("iati-activity"))
    assert {a.find("reporting-org").get("secondary-reporter") for a in tree.iter("iati-activity")} == {"0"}
    assert settings.IATI_PREFIX not in body


def test_every_demo_organisation_file_validates(client, demo):
    organisations = list(Organisation.objects.published())
    assert len(organisations) > 3
    total = 0
    for organisation in organisations:
        tree = checked(client.get(url("organisation", "en", organisation.slug)))
        total += len(tree.findall("iati-activity"))
        assert len(tree.findall("iati-activity")) == organisation.experiences.count()
    assert total > 5


def test_an_experience_without_end_date_cost_or_fundings(client, aimf, sector_rows):
    experience = add_experience(aimf, title_en="Only English", start_date=datetime.date(2020, 3, 1))
    activity = activity_of(checked(client.get(url("organisation", "fr", aimf.slug))), experience)
    assert activity.find("activity-status").get("code") == "2"  # started, no end: implementation
    assert [d.get("type") for d in activity.findall("activity-date")] == ["2"]
    assert activity.findall("budget") == activity.findall("transaction") == []
    assert activity.findall("recipient-country") == activity.findall("sector") == []
    assert [(n.get(LANG), n.text) for n in activity.findall("title/narrative")] == [("en", "Only English")]
    # No objectives or results: the XSD still wants a description, the title stands for it.
    assert [d.get("type") for d in activity.findall("description")] == ["1"]
    assert activity.find("participating-org").get("role") == "2"


def test_a_future_experience_is_planned_and_its_commitment_not_dated_in_the_future(client, aimf, sector_rows, donors):
    today = timezone.localdate()
    start, end = today + datetime.timedelta(days=30), today + datetime.timedelta(days=400)
    experience = add_experience(
        aimf,
        title_fr="Plus tard",
        role="partner",
        start_date=start,
        end_date=end,
        cost=Decimal("1000.00"),
        sectors=["14010", "14030", "15110"],
        countries=["SN", "ML", "XK"],
        fundings=[(donors["ce"], Decimal("100")), (donors["ce"], Decimal("200")), (donors["afd"], Decimal("1"))],
    )
    activity = activity_of(checked(client.get(url("organisation", "en", aimf.slug))), experience)
    assert activity.find("activity-status").get("code") == "1"
    assert [d.get("type") for d in activity.findall("activity-date")] == ["1", "3"]
    assert [s.get("percentage") for s in activity.findall("sector")] == ["33.33", "33.33", "33.34"]
    assert [c.get("code") for c in activity.findall("recipient-country")] == ["SN", "ML", "XK"]
    roles = [p.get("role") for p in activity.findall("participating-org")]
    assert roles == ["1", "1", "4"]  # each donor once; a partner implements
    dates = {t.find("transaction-date").get("iso-date") for t in activity.findall("transaction")}
    assert dates == {today.isoformat()}
    assert len(activity.findall("transaction")) == 3
    assert sum(Decimal(b.findtext("value")) for b in activity.findall("budget")) == Decimal("1000.00")


@pytest.mark.parametrize(
    "start, end, periods",
    [
        ((2020, 1, 1), (2020, 1, 1), 1),
        ((2020, 1, 1), (2020, 12, 31), 1),  # exactly a year
        ((2020, 1, 1), (2021, 1, 1), 2),  # a day more
        ((2020, 2, 29), (2021, 2, 27), 1),
        ((2020, 2, 29), (2021, 2, 28), 2),
        ((2010, 1, 1), (2013, 12, 31), 4),
    ],
)
def test_budget_periods_are_at_most_a_year_and_share_the_whole_cost(start, end, periods):
    start, end = datetime.date(*start), datetime.date(*end)
    result = iati.budget_periods(start, end, Decimal("1000.01"))
    assert len(result) == periods
    assert result[0][0] == start and result[-1][1] == end
    assert sum(value for _first, _last, value in result) == Decimal("1000.01")
    for (_f, last, _v), (first, _l, _w) in zip(result, result[1:], strict=False):
        assert first == last + datetime.timedelta(days=1)  # no gap, no overlap
    assert all(last < iati._a_year_later(first) for first, last, _value in result)


@pytest.mark.parametrize("count", [1, 2, 3, 6, 7])
def test_shares_sum_to_a_hundred(count):
    assert sum(iati.shares(count)) == HUNDRED
    assert len(iati.shares(count)) == count


def test_filtered_export_keeps_only_the_matching_organisations(client, aimf, ouaga, sector_rows, donors):
    in_aimf = add_experience(aimf, title_fr="Paris", fundings=[(donors["ce"], Decimal("0"))], cost=Decimal(5))
    in_ouaga = add_experience(ouaga, title_fr="Ouaga")
    tree = checked(client.get(url("export", "fr") + "?country=FR"))
    identifiers = [a.findtext("iati-identifier") for a in tree.iter("iati-activity")]
    assert identifiers == [f"{settings.IATI_PREFIX}-{aimf.pk}-{in_aimf.pk}"]
    tree = checked(client.get(url("export", "fr") + f"?country={ouaga.country.code}"))
    assert [a.findtext("iati-identifier") for a in tree.iter("iati-activity")] == [
        f"{settings.IATI_PREFIX}-{ouaga.pk}-{in_ouaga.pk}"
    ]
    assert len(checked(client.get(url("export", "en"))).findall("iati-activity")) == 2


def test_export_limit_just_below_and_just_above(client, aimf, sector_rows, monkeypatch):
    for n in range(3):
        add_experience(aimf, title_fr=f"Action {n}")
    monkeypatch.setattr(views, "IATI_EXPORT_LIMIT", 3)
    assert len(checked(client.get(url("export", "en"))).findall("iati-activity")) == 3
    monkeypatch.setattr(views, "IATI_EXPORT_LIMIT", 2)
    response = client.get(url("export", "en"))
    assert response.status_code == 400
    assert "This search matches 3 activities; an IATI export holds at most 2." in response.content.decode()
    french = client.get(url("export", "fr")).content.decode()
    assert "Cette recherche correspond à 3 activités" in french


def test_unpublished_or_unknown_organisation_is_404(client, aimf):
    aimf.published = False
    aimf.save()
    assert client.get(url("organisation", "fr", aimf.slug)).status_code == 404
    assert client.get(url("organisation", "fr", "nobody")).status_code == 404
    assert client.get(url("export", "fr")).status_code == 200  # and the export leaves it out
    assert etree.fromstring(content(client.get(url("export", "fr")))).findall("iati-activity") == []


def test_organisation_file_reads_a_fixed_number_of_queries(
    client, aimf, sector_rows, donors, django_assert_num_queries
):
    """Guards against N+1: the file reads its experiences in batches of plain values, however many."""
    for n in range(12):
        add_experience(aimf, title_fr=f"Action {n}", sectors=["14010"], countries=["SN"], fundings=[(donors["ce"], 1)])
    # The page cache starts empty (conftest): this is a cold request.
    for experience in aimf.experiences.all():
        Participant.objects.create(experience=experience, name="Ville de Man", role="partner")
    with django_assert_num_queries(8):  # organisation, ids, then a batch: experiences, organisations, 4 links
        response = client.get(url("organisation", "fr", aimf.slug))
    assert len(checked(response).findall("iati-activity")) == 12


@pytest.mark.parametrize("value", ["FR-RNA-W751234567", "XM-DAC-41114", "GB-COH-01234567", "FR-SIRET-1234.5"])
def test_iati_identifier_accepts_org_id_guide_identifiers(aimf, value):
    aimf.iati_identifier = value
    aimf.full_clean()


@pytest.mark.parametrize("value", ["fr-rna-123", "FR-RNA-", "FRRNA123", "FR-RNA-12 34", "FR-RNA-1/2", "F-RNA-1"])
def test_iati_identifier_refuses_other_forms(aimf, value):
    aimf.iati_identifier = value
    with pytest.raises(ValidationError) as error:
        aimf.full_clean()
    assert "iati_identifier" in error.value.message_dict


def test_partner_sets_the_identifier_and_a_bad_one_is_explained_in_french(client, owner, aimf):
    client.force_login(owner)
    with translation.override("fr"):
        edit = reverse("partners:organisation", args=[aimf.slug])
    response = client.post(edit, organisation_data(aimf, iati_identifier="pas un identifiant"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Écrivez l’identifiant comme org-id.guide le donne" in page
    assert 'value="pas un identifiant"' in page
    response = client.post(edit, organisation_data(aimf, iati_identifier="FR-RNA-W751234567"))
    assert response.status_code == 302
    aimf.refresh_from_db()
    assert aimf.iati_identifier == "FR-RNA-W751234567"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_profile_links_its_iati_file(client, aimf, lang):
    with translation.override(lang):
        profile = aimf.get_absolute_url()
    page = client.get(profile).content.decode()
    assert f'href="{url("organisation", lang, aimf.slug)}"' in page
    assert ("XML IITA" if lang == "fr" else "IATI XML") in page


def test_donor_with_one_language_only(client, aimf, sector_rows):
    donor = Donor.objects.create(name_en="Only English Fund", name_fr="")
    experience = add_experience(aimf, title_fr="Action", cost=Decimal(10), fundings=[(donor, Decimal(10))])
    activity = activity_of(checked(client.get(url("organisation", "fr", aimf.slug))), experience)
    assert [(n.get(LANG), n.text) for n in activity.findall("transaction/provider-org/narrative")] == [
        ("en", "Only English Fund")
    ]


def test_export_ignores_nul_bytes_and_malformed_criteria_like_the_search_page(client, aimf, ouaga, sector_rows):
    add_experience(aimf, title_fr="Paris")
    add_experience(ouaga, title_fr="Ouaga")
    plain = checked(client.get(url("export", "fr") + "?country=FR"))
    for query in ["?country=FR&q=\x00", "?country=FR&active_from=abc", "?country=FR&country=ZZ&page=-1"]:
        tree = checked(client.get(url("export", "fr") + query.replace("\x00", "%00")))
        assert [a.findtext("iati-identifier") for a in tree.iter("iati-activity")] == [
            a.findtext("iati-identifier") for a in plain.iter("iati-activity")
        ]


def test_participants_are_participating_orgs_by_their_role(client, aimf, ouaga, sector_rows):
    """Coordinator → 2 (accountable), partner and associate → 4 (implementing); a listed organisation with
    its own IATI identifier or the directory's prefix, its type and names; an unlisted one by its name; an
    unpublished one left out, as everywhere public."""
    ouaga.iati_identifier = "BF-COM-OUAGA"
    ouaga.kind = Organisation.Kind.MUNICIPALITY
    ouaga.save()
    banfora = Organisation.objects.create(
        name_fr="Commune de Banfora", name_en="Banfora Municipality", kind=Organisation.Kind.REGIONAL_AUTHORITY
    )
    hidden = Organisation.objects.create(name_fr="Commune cachée", published=False)
    experience = add_experience(aimf, title_fr="Eau", role="partner")
    for organisation, name, kind, role in [
        (ouaga, "", "", "coordinator"),
        (banfora, "", "", "associate"),
        (None, "Ville de Man", "municipality", "partner"),
        (None, "Réseau sans type", "", "associate"),
        (hidden, "", "", "partner"),
    ]:
        Participant.objects.create(experience=experience, organisation=organisation, name=name, kind=kind, role=role)
    for lang in ("fr", "en"):
        activity = activity_of(checked(client.get(url("organisation", lang, aimf.slug))), experience)
        rows = [
            (p.get("role"), p.get("ref"), p.get("type"), [(n.get(LANG), n.text) for n in p.findall("narrative")])
            for p in activity.findall("participating-org")
        ]
        assert rows == [
            ("4", iati.organisation_ref({"iati_identifier": aimf.iati_identifier, "id": aimf.pk}), "21",
             [("fr", aimf.name_fr), ("en", aimf.name_en)]),  # the owner, a partner
            ("2", "BF-COM-OUAGA", "11", [("fr", ouaga.name_fr)]),
            ("4", f"{settings.IATI_PREFIX}-{banfora.pk}", "11", [("fr", banfora.name_fr), ("en", banfora.name_en)]),
            ("4", None, "11", [(None, "Ville de Man")]),
            ("4", None, None, [(None, "Réseau sans type")]),
        ]  # fmt: skip
    assert "Commune cachée" not in content(client.get(url("export", "fr"))).decode()


# --- the same files in the API (api/v1.py) -------------------------------------------------------------


def same_file(response):
    """A file's content without the time it was made at (two requests may fall in different seconds)."""
    return re.sub(rb'generated-datetime="[^"]*"', b"", content(response))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_api_gives_an_organisation_file_as_its_profile_does(client, aimf, sector_rows, donors, lang):
    add_experience(aimf, title_fr="Eau potable", title_en="Drinking water", fundings=[(donors["ce"], 1)])
    api = client.get(f"/api/v1/organisations/{aimf.slug}/iati/", {"lang": lang}, HTTP_ACCEPT="application/xml")
    activity = checked(api).find("iati-activity")
    assert same_file(api) == same_file(client.get(url("organisation", lang, aimf.slug)))
    assert activity.get(LANG) == lang  # the language asked; the texts in both
    assert [n.text for n in activity.findall("title/narrative")] == ["Eau potable", "Drinking water"]
    assert api["Content-Language"] == lang and api["ETag"]


def test_the_api_organisation_file_of_an_unknown_or_unpublished_organisation_is_a_json_404(client, aimf):
    assert client.get(f"/api/v1/organisations/{aimf.slug}/iati/").status_code == 200
    aimf.published = False
    aimf.save()
    for slug in (aimf.slug, "nobody"):
        response = client.get(f"/api/v1/organisations/{slug}/iati/", HTTP_ACCEPT="application/xml")
        assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_the_api_search_file_takes_the_search_criteria(client, aimf, ouaga, sector_rows, donors):
    in_aimf = add_experience(aimf, title_fr="Paris")
    in_ouaga = add_experience(ouaga, title_fr="Ouaga")
    for country, expected in (("FR", [aimf, in_aimf]), (ouaga.country.code, [ouaga, in_ouaga])):
        body = same_file(client.get("/api/v1/iati/", {"country": country, "lang": "fr"}))
        assert body == same_file(client.get(url("export", "fr") + f"?country={country}"))
        tree = checked(client.get("/api/v1/iati/", {"country": country, "lang": "fr"}))
        identifiers = [a.findtext("iati-identifier") for a in tree.iter("iati-activity")]
        assert identifiers == ["{}-{}-{}".format(settings.IATI_PREFIX, *(row.pk for row in expected))]
    assert len(checked(client.get("/api/v1/iati/")).findall("iati-activity")) == 2
    bad = client.get("/api/v1/iati/", {"lang": "de"})
    assert bad.status_code == 400 and "lang" in bad.json()


def test_the_api_search_file_limit_just_below_and_just_above(client, aimf, sector_rows, monkeypatch):
    for n in range(3):
        add_experience(aimf, title_fr=f"Action {n}")
    monkeypatch.setattr(views, "IATI_EXPORT_LIMIT", 3)
    assert len(checked(client.get("/api/v1/iati/")).findall("iati-activity")) == 3
    monkeypatch.setattr(views, "IATI_EXPORT_LIMIT", 2)
    response = client.get("/api/v1/iati/", {"lang": "en"})
    assert response.status_code == 400
    assert "This search matches 3 activities; an IATI export holds at most 2." in response.json()["detail"]
    assert "Cette recherche correspond à 3 activités" in client.get("/api/v1/iati/", {"lang": "fr"}).json()["detail"]
