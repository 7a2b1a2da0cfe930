"""Staff curation in the admin: changelists that scale, filters both ways, completeness, bulk publish,
revert from history, donor merge, and the records that keep a withdrawn OECD code."""

import csv
import io
import shutil
from datetime import date, timedelta
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from alerts.models import Digest, Subscription
from contact.models import ContactMessage
from experiences.models import Donor, Experience, ExperienceCountry, Funding, Participant
from institutions.completeness import SEED_FIELDS, completeness, with_counts
from institutions.models import Competence, ImportRun, Organisation, Sector, SectorCategory
from partners.admin import MembershipInline, OrganisationAdmin
from partners.models import DonorProposal, JoinRequest, Membership
from tests.factories import admin_url

pytestmark = pytest.mark.django_db


def shown(client, model, query):
    response = client.get(admin_url(model, "changelist"), query)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


# Changelists: the query count does not grow with the rows ---------------------------------------------


class Factory:
    """One row (with what its changelist shows: related rows, counts) of each registered model."""

    def __init__(self):
        self.n = 0
        self.category = None

    def sector(self):
        if self.category is None:
            self.category = SectorCategory.objects.create(code="999", name_fr="Catégorie test")
        self.n += 1
        return Sector.objects.create(code=f"9{self.n:04d}", category=self.category, name_fr=f"Secteur {self.n}")

    def organisation(self):
        self.n += 1
        org = Organisation.objects.create(name_fr=f"Commune {self.n}", country="SN")
        Competence.objects.create(organisation=org, sector=self.sector())
        self.experience(org)
        Membership.objects.create(user=self.user(), organisation=org)
        return org

    def experience(self, org=None):
        self.n += 1
        org = org or Organisation.objects.create(name_fr=f"Commune {self.n}", country="ML")
        exp = Experience.objects.create(
            organisation=org, title_fr=f"Action {self.n}", role="partner", start_date=date(2020, 1, 1), cost=100
        )
        exp.sectors.add(self.sector())
        ExperienceCountry.objects.create(experience=exp, country="BF")
        Funding.objects.create(experience=exp, donor=self.donor(), amount=10)
        return exp

    def donor(self):
        self.n += 1
        return Donor.objects.create(name_fr=f"Bailleur {self.n}", acronym=f"B{self.n}")

    def participant(self):
        """Both kinds: a directory organisation's participation, and an unlisted one's."""
        exp = self.experience()
        self.n += 1
        listed = Organisation.objects.create(name_fr=f"Commune {self.n}", country="NE")
        Participant.objects.create(experience=exp, organisation=listed, role="partner")
        return Participant.objects.create(experience=exp, name=f"Ville {self.n}", country="CI", role="associate")

    def donor_with_fundings(self):
        donor = self.donor()
        exp = self.experience()
        Funding.objects.create(experience=exp, donor=donor, amount=20)
        return donor

    def membership(self):
        self.n += 1
        org = Organisation.objects.create(name_fr=f"Commune {self.n}", country="SN")
        return Membership.objects.create(user=self.user(), organisation=org)

    def donor_proposal(self):
        """A proposal with its organisation, its proposer and the donor it became (all in the list)."""
        self.n += 1
        org = Organisation.objects.create(name_fr=f"Commune {self.n}", country="SN")
        return DonorProposal.objects.create(
            organisation=org, proposed_by=self.user(), name=f"Fonds {self.n}", donor=self.donor()
        )

    def contact_message(self):
        """A logged message with its organisation (shown in the list)."""
        self.n += 1
        org = Organisation.objects.create(name_fr=f"Commune {self.n}", country="SN", email=f"c{self.n}@example.org")
        return ContactMessage.objects.create(
            organisation=org, sender_name="Jeanne", sender_email="jeanne@example.net", subject=f"Objet {self.n}",
            message="Bonjour, une question.", language="fr", recipients=org.email, status="sent",
        )  # fmt: skip

    def alert_subscription(self):
        """A confirmed subscription with a digest sent (its last one is in the list)."""
        self.n += 1
        subscription = Subscription.objects.create(
            email=f"s{self.n}@example.net", search="organisations", criteria=f"country=SN&q=eau{self.n}",
            language="fr", frequency="weekly", confirmed=timezone.now(),
        )  # fmt: skip
        start = timezone.now() - timedelta(days=7)
        Digest.objects.create(subscription=subscription, period_start=start, period_end=timezone.now(), items=2)
        return subscription

    def join_request(self):
        """A decided request for access, with its organisation and its reviewer (both shown in the list)."""
        self.n += 1
        org = Organisation.objects.create(name_fr=f"Commune {self.n}", country="SN")
        return JoinRequest.objects.create(
            kind="access", state="accepted", language="fr", name="Paul", email=f"p{self.n}@example.org",
            message="Je tiendrai la fiche à jour.", organisation=org, decided_by=self.user(),
        )  # fmt: skip

    def user(self):
        self.n += 1
        user = User.objects.create_user(f"user{self.n}@example.org")
        user.groups.add(Group.objects.get_or_create(name="partners")[0])
        return user

    def import_run(self):
        return ImportRun.objects.create(file_name="communes.csv", content=b"", language="en", uploaded_by=self.user())

    def group(self):
        self.n += 1
        return Group.objects.create(name=f"group {self.n}")

    def category_with_sector(self):
        self.n += 1
        category = SectorCategory.objects.create(code=f"{self.n:03d}", name_fr=f"Catégorie {self.n}")
        Sector.objects.create(code=f"8{self.n:04d}", category=category, name_fr=f"Secteur {self.n}")
        return category

    def access(self, model):
        self.n += 1
        return model.objects.create(
            user_agent="test", ip_address="192.0.2.1", username=f"u{self.n}@example.org", http_accept="*/*",
            path_info="/fr/partners/login/", **({"get_data": "", "post_data": "", "failures_since_start": 1}
                                                 if model is AccessAttempt else {}),
        )  # fmt: skip


MAKERS = {
    "institutions.Organisation": Factory.organisation,
    "partners.Membership": Factory.membership,
    "partners.DonorProposal": Factory.donor_proposal,
    "contact.ContactMessage": Factory.contact_message,
    "alerts.Subscription": Factory.alert_subscription,
    "partners.JoinRequest": Factory.join_request,
    "institutions.Sector": Factory.sector,
    "institutions.SectorCategory": Factory.category_with_sector,
    "institutions.ImportRun": Factory.import_run,
    "experiences.Experience": Factory.experience,
    "experiences.Donor": Factory.donor_with_fundings,
    "experiences.Participant": Factory.participant,
    "accounts.User": Factory.user,
    "auth.Group": Factory.group,
    "axes.AccessAttempt": lambda f: f.access(AccessAttempt),
    "axes.AccessLog": lambda f: f.access(AccessLog),
    "axes.AccessFailureLog": lambda f: f.access(AccessFailureLog),
}


def test_every_registered_model_has_a_query_count_test():
    assert {model._meta.label for model in admin.site._registry} == set(MAKERS)


# no_sectors: the sector changelists count the Factory's rows only, as on the other models.
@pytest.mark.parametrize("label", sorted(MAKERS))
def test_changelist_queries_do_not_grow_with_rows(client, staff, no_sectors, label):
    model = next(m for m in admin.site._registry if m._meta.label == label)
    factory = Factory()
    url = admin_url(model, "changelist")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), len(response.context["cl"].result_list)

    # 5 rows, then 10 more: a query per row (or per related row) would count at least 10 more queries. Every
    # row costs several saves, each refreshing the search rows, so no more than that is made (it was 5 + 50).
    for _ in range(5):
        MAKERS[label](factory)
    few, rows_few = count_queries()
    for _ in range(10):
        MAKERS[label](factory)
    many, rows_many = count_queries()
    assert rows_many >= rows_few + 10
    assert many == few, f"{label}: {few} queries with {rows_few} rows, {many} with {rows_many}"


# Completeness ---------------------------------------------------------------------------------------------


@pytest.fixture
def full_org(sectors):
    org = Organisation.objects.create(
        name_fr="Association internationale des maires francophones",
        name_en="International Association of Francophone Mayors",
        acronym="AIMF", street="Rue des Halles 9", zip_code="75001", city="Paris", country="FR",
        website="http://www.aimf.asso.fr", email="sp@aimf.asso.fr", telephone="+33 14 48 82 288",
        fax="33140390662", description_fr="Réseau de villes.", description_en="A network of cities.",
    )  # fmt: skip
    Competence.objects.create(organisation=org, sector=Sector.objects.get(code="14030"))
    Experience.objects.create(organisation=org, title_en="Peace", role="coordinator", start_date=date(2010, 1, 1))
    return org


def test_completeness_of_a_full_profile(full_org):
    assert completeness(full_org) == (13, 13, [])
    assert completeness(with_counts(Organisation.objects).get(pk=full_org.pk)) == (13, 13, [])


def test_completeness_names_the_empty_fields(db):
    org = Organisation.objects.create(name_en="Only a name", country="SN", city="Dakar")
    filled, total, missing = completeness(org)
    assert (filled, total) == (3, len(SEED_FIELDS))
    with translation.override("en"):
        missing = [str(m) for m in missing]
    assert missing == [
        "acronym", "street & number", "ZIP", "website", "e-mail address", "telephone number", "fax number",
        "general description", "competences", "experiences",
    ]  # fmt: skip


def test_completeness_column_and_change_page(client, staff, full_org):
    sparse = Organisation.objects.create(name_fr="Commune de Kaya", country="BF", city="Kaya")
    response = client.get(admin_url(Organisation, "changelist"))
    content = response.content.decode()
    assert "13/13" in content
    assert "3/13" in content
    assert 'title="Empty: acronym, street &amp; number, ZIP, website' in content
    response = client.get(admin_url(Organisation, "change", sparse.pk))
    assert "3/13; empty: acronym, street &amp; number, ZIP, website, e-mail address" in response.content.decode()
    response = client.get(admin_url(Organisation, "change", full_org.pk))
    assert "13/13: every field of the profile page is filled in." in response.content.decode()


# Filters, each both ways -----------------------------------------------------------------------------------


def test_not_updated_for_two_years_filter(client, staff):
    old = Organisation.objects.create(name_fr="Ancienne", country="SN")
    fresh = Organisation.objects.create(name_fr="Récente", country="SN")
    Organisation.objects.filter(pk=old.pk).update(updated=timezone.now() - timedelta(days=2 * 365 + 1))
    Organisation.objects.filter(pk=fresh.pk).update(updated=timezone.now() - timedelta(days=2 * 365 - 1))
    assert shown(client, Organisation, {"stale": "yes"}) == {old}
    assert shown(client, Organisation, {"stale": "no"}) == {fresh}
    assert shown(client, Organisation, {}) == {old, fresh}


def test_missing_language_filters(client, staff):
    both = Organisation.objects.create(
        name_fr="Ville", name_en="Town", description_fr="Desc", description_en="Desc", country="SN"
    )
    no_fr_name = Organisation.objects.create(
        name_en="Town only", description_fr="Desc", description_en="Desc", country="SN"
    )
    no_en_description = Organisation.objects.create(
        name_fr="Ville", name_en="Town", description_fr="Desc", country="SN"
    )
    assert shown(client, Organisation, {"missing": "fr"}) == {no_fr_name}
    assert shown(client, Organisation, {"missing": "en"}) == {no_en_description}
    assert both not in shown(client, Organisation, {"missing": "fr"}) | shown(client, Organisation, {"missing": "en"})


@pytest.fixture
def withdrawn_usage(sectors):
    withdrawn = Sector.objects.get(code="15120")
    assert withdrawn.withdrawn
    old = Organisation.objects.create(name_fr="Utilise un code retiré", country="SN")
    current = Organisation.objects.create(name_fr="Codes actuels", country="SN")
    # Created before the code was withdrawn: the record keeps it.
    Competence.objects.bulk_create([Competence(organisation=old, sector=withdrawn)])
    Competence.objects.create(organisation=current, sector=Sector.objects.get(code="14030"))
    old_exp = Experience.objects.create(organisation=current, title_fr="Ancienne", role="partner",
                                        start_date=date(2001, 1, 1))  # fmt: skip
    old_exp.sectors.add(withdrawn)
    new_exp = Experience.objects.create(organisation=current, title_fr="Nouvelle", role="partner",
                                        start_date=date(2020, 1, 1))  # fmt: skip
    new_exp.sectors.add(Sector.objects.get(code="14030"))
    return old, current, old_exp, new_exp


def test_withdrawn_code_filters(client, staff, withdrawn_usage):
    old, current, old_exp, new_exp = withdrawn_usage
    assert shown(client, Organisation, {"withdrawn_code": "yes"}) == {old}
    assert shown(client, Organisation, {"withdrawn_code": "no"}) == {current}
    assert shown(client, Experience, {"withdrawn_code": "yes"}) == {old_exp}
    assert shown(client, Experience, {"withdrawn_code": "no"}) == {new_exp}


def test_unknown_filter_values_are_ignored(client, staff, full_org):
    for query in ({"stale": "maybe"}, {"missing": "de"}, {"withdrawn_code": "<b>"}):
        assert shown(client, Organisation, query) == {full_org}


def test_search_and_autocomplete_find_organisations(client, staff, full_org):
    assert shown(client, Organisation, {"q": "aimf"}) == {full_org}
    assert shown(client, Organisation, {"q": "francophone"}) == {full_org}
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "AIMF", "app_label": "partners", "model_name": "membership", "field_name": "organisation"},
    )
    assert [item["id"] for item in response.json()["results"]] == [str(full_org.pk)]


# Bulk publish / unpublish ------------------------------------------------------------------------------------


def test_bulk_unpublish_and_publish_with_history(client, staff):
    a = Organisation.objects.create(name_fr="A", country="SN")
    b = Organisation.objects.create(name_fr="B", country="SN")
    c = Organisation.objects.create(name_fr="C", country="SN", published=False)
    url = admin_url(Organisation, "changelist")

    response = client.post(url, {"action": "unpublish", "_selected_action": [a.pk, b.pk, c.pk]}, follow=True)
    assert "2 organisations unpublished. 1 was already unpublished." in response.content.decode()
    assert not Organisation.objects.filter(published=True).exists()
    assert a.history.count() == 2 and c.history.count() == 1
    assert a.history.first().history_change_reason == "unpublished by staff"
    assert a.history.first().history_user == staff

    response = client.post(url, {"action": "publish", "_selected_action": [a.pk]}, follow=True)
    assert "1 organisation published." in response.content.decode()
    assert set(Organisation.objects.published()) == {a}
    assert a.history.count() == 3


def test_bulk_actions_need_a_logged_in_staff_member(client, db):
    org = Organisation.objects.create(name_fr="A", country="SN")
    response = client.post(admin_url(Organisation, "changelist"), {"action": "unpublish", "_selected_action": [org.pk]})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.published


# History: revert an organisation ---------------------------------------------------------------------------


def test_revert_an_organisation_to_an_earlier_version(client, staff):
    org = Organisation.objects.create(name_fr="Ville de Lyon", city="Lyon", country="FR")
    first = org.history.get()
    org.name_fr, org.city = "Nom erroné", "Ailleurs"
    org.save()
    url = reverse("admin:institutions_organisation_simple_history", args=[org.pk, first.history_id])
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["name_fr"] == "Ville de Lyon"
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data["published"] = "on"
    data["country"] = "FR"
    response = client.post(url, data)
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name_fr, org.city) == ("Ville de Lyon", "Lyon")
    assert org.history.count() == 3
    assert org.version == 3  # a revert is a new version, never an old number


def test_partner_memberships_are_an_inline_of_the_organisation(client, staff):
    assert MembershipInline in OrganisationAdmin.inlines
    org = Organisation.objects.create(name_fr="Ville", country="FR")
    Membership.objects.create(user=User.objects.create_user("partner@example.org"), organisation=org)
    response = client.get(admin_url(Organisation, "change", org.pk))
    assert "partner@example.org" in response.content.decode()
    assert "memberships-TOTAL_FORMS" in response.content.decode()


# Donor merge --------------------------------------------------------------------------------------------


@pytest.fixture
def duplicate_donors(db):
    org = Organisation.objects.create(name_fr="Ville", country="FR")
    ce = Donor.objects.create(acronym="CE", name_fr="Commission européenne")
    ce_typo = Donor.objects.create(acronym="C.E.", name_fr="Commision européenne")
    afd = Donor.objects.create(acronym="AFD", name_fr="Agence française de développement")
    for i, (donor, amount) in enumerate([(ce, 100), (ce_typo, 200), (ce_typo, 50), (afd, 70)]):
        exp = Experience.objects.create(
            organisation=org, title_fr=f"Action {i}", role="partner", start_date=date(2010, 1, 1), cost=1000
        )
        Funding.objects.create(experience=exp, donor=donor, amount=amount)
    return ce, ce_typo, afd


def test_merge_donors_asks_which_to_keep(client, staff, duplicate_donors):
    ce, ce_typo, _afd = duplicate_donors
    response = client.post(
        admin_url(Donor, "changelist"), {"action": "merge_donors", "_selected_action": [ce_typo.pk, ce.pk]}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Choose the donor to keep" in content
    assert "CE — Commission européenne (1 funding" in content
    assert "C.E. — Commision européenne (2 fundings" in content
    assert response.context["form"]["keep"].initial == ce  # the oldest by default
    assert Donor.objects.count() == 3


def test_merge_donors_moves_every_funding_to_the_kept_one(client, staff, duplicate_donors):
    ce, ce_typo, afd = duplicate_donors
    total = Funding.objects.aggregate(total=Sum("amount"))["total"]
    response = client.post(
        admin_url(Donor, "changelist"),
        {"action": "merge_donors", "_selected_action": [ce.pk, ce_typo.pk], "keep": ce.pk},
        follow=True,
    )
    assert "2 fundings moved to “CE”; donor “C.E.” deleted." in response.content.decode()
    assert set(Donor.objects.all()) == {ce, afd}
    assert ce.fundings.count() == 3
    assert ce.fundings.aggregate(total=Sum("amount"))["total"] == Decimal("350")
    assert Funding.objects.count() == 4
    assert Funding.objects.aggregate(total=Sum("amount"))["total"] == total
    assert Donor.history.filter(id=ce_typo.pk, history_type="-").exists()
    moved = Funding.history.filter(donor_id=ce.pk, history_type="~")
    assert moved.count() == 2
    assert moved.first().history_change_reason.startswith(f"Merged into donor #{ce.pk}")


def test_merge_can_keep_the_newer_donor(client, staff, duplicate_donors):
    ce, ce_typo, afd = duplicate_donors
    client.post(
        admin_url(Donor, "changelist"),
        {"action": "merge_donors", "_selected_action": [ce.pk, ce_typo.pk, afd.pk], "keep": ce_typo.pk},
    )
    assert list(Donor.objects.all()) == [ce_typo]
    assert ce_typo.fundings.count() == 4


def test_merge_needs_two_donors(client, staff, duplicate_donors):
    ce, *_ = duplicate_donors
    response = client.post(
        admin_url(Donor, "changelist"), {"action": "merge_donors", "_selected_action": [ce.pk]}, follow=True
    )
    assert "Select at least two donors to merge." in response.content.decode()
    assert Donor.objects.count() == 3


def test_merge_refuses_a_kept_donor_outside_the_selection(client, staff, duplicate_donors):
    ce, ce_typo, afd = duplicate_donors
    response = client.post(
        admin_url(Donor, "changelist"),
        {"action": "merge_donors", "_selected_action": [ce.pk, ce_typo.pk], "keep": afd.pk},
    )
    assert response.status_code == 200
    assert "Please choose the donor to keep." in response.content.decode()
    assert Donor.objects.count() == 3


# Sector reference refresh ---------------------------------------------------------------------------------


def test_load_sectors_reports_the_records_using_a_newly_withdrawn_code(sectors, tmp_path):
    org = Organisation.objects.create(name_fr="Ville", country="FR", slug="ville")
    sector = Sector.objects.get(code="14030")
    Competence.objects.create(organisation=org, sector=sector)
    exp = Experience.objects.create(organisation=org, title_fr="Eau", role="partner", start_date=date(2010, 1, 1))
    exp.sectors.add(sector)

    fixtures = settings.BASE_DIR / "fixtures"
    shutil.copy(fixtures / "oecd_dac_sector_categories.csv", tmp_path)
    with (fixtures / "oecd_dac_sectors.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["code"] == "14030":
            row["withdrawn"] = "true"
    with (tmp_path / "oecd_dac_sectors.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    out = io.StringIO()
    call_command("load_sectors", "--dir", str(tmp_path), stdout=out)
    assert "changed 14030: withdrawn; still used by 1 competence(s) and 1 experience(s)" in out.getvalue()
    assert "sectors: 0 added, 1 changed, 1 newly withdrawn" in out.getvalue()
    # The records keep their code; staff can list them.
    assert org.competences.get().sector == sector
    out = io.StringIO()
    call_command("load_sectors", "--list-withdrawn-usage", stdout=out)
    listing = out.getvalue()
    assert "14030  competence of organisation ville" in listing
    assert f"14030  experience #{exp.pk} “Eau” of organisation ville" in listing
    assert "1 competence(s) and 1 experience sector(s) use a withdrawn code." in listing


def test_list_withdrawn_usage_without_any(sectors):
    Organisation.objects.create(name_fr="Ville", country="FR")
    out = io.StringIO()
    call_command("load_sectors", "--list-withdrawn-usage", stdout=out)
    assert out.getvalue().strip() == "0 competence(s) and 0 experience sector(s) use a withdrawn code."


def test_changelist_and_messages_in_french(client, staff, full_org):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    sparse = Organisation.objects.create(name_fr="Commune de Kaya", country="BF", city="Kaya")
    content = client.get(admin_url(Organisation, "changelist")).content.decode()
    for text in ["non mis à jour depuis 2 ans", "français manquant (nom ou description)", "utilise un code retiré",
                 "Complétude", 'title="Vides : sigle']:  # fmt: skip
        assert text in content, text
    response = client.post(
        admin_url(Organisation, "changelist"),
        {"action": "unpublish", "_selected_action": [full_org.pk, sparse.pk]},
        follow=True,
    )
    assert "2 organisations dépubliées." in response.content.decode()
