"""manage.py import_organisations: clean file, bad rows reported by line, idempotent, dry run, transactions."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from experiences.models import Donor, Experience, ExperienceCountry, Funding
from institutions import importing
from institutions.management.commands import import_organisations
from institutions.models import Competence, Organisation

pytestmark = pytest.mark.django_db

TEMPLATE = settings.BASE_DIR / "fixtures" / "import_template.csv"
HEADER = [
    "slug", "name_fr", "name_en", "acronym", "kind", "city", "country", "description_fr", "description_en",
    "published", "competences", "title_fr", "title_en", "role", "start_date", "end_date", "cost", "sectors",
    "countries", "donor_1", "amount_1", "donor_2", "amount_2",
]  # fmt: skip
MODELS = [Organisation, Competence, Experience, ExperienceCountry, Funding, Donor]


def crash_on_line(monkeypatch, crashing):
    """The import stops on line `crashing` as if the database went away."""
    original = importing.Importer._organisation

    def organisation(self, line, slug, row, lines):
        if line == crashing:
            raise RuntimeError("the database went away")
        return original(self, line, slug, row, lines)

    monkeypatch.setattr(importing.Importer, "_organisation", organisation)


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_organisations", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, rows, name="import.csv", header=HEADER, delimiter=","):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, delimiter=delimiter)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def org_row(slug, **values):
    row = {"slug": slug, "name_fr": f"Commune {slug}", "country": "SN", "kind": "municipality"}
    row.update(values)
    return row


def experience_row(slug, title, **values):
    row = {
        "slug": slug,
        "title_fr": title,
        "role": "partner",
        "start_date": "2015-01-01",
        "cost": "1000",
        "sectors": "14030",
        "countries": "SN",
        "donor_1": "AFD",
        "amount_1": "400",
    }
    row.update(values)
    return row


def snapshot():
    """Row counts of every imported table and of its history."""
    counts = {}
    for model in MODELS:
        counts[model._meta.label] = model.objects.count()
        counts[f"{model._meta.label} history"] = model.history.count()
    counts["experience sectors"] = Experience.sectors.through.objects.count()
    return counts


@pytest.fixture
def afd(db):
    return Donor.objects.create(acronym="AFD", name_fr="Agence française de développement")


def test_template_imports(sectors):
    out, err = run(TEMPLATE)
    assert err == ""
    assert "3 rows read, 0 refused" in out
    assert "Organisations: 2 created" in out
    assert "Experiences: 2 created" in out
    org = Organisation.objects.get(slug="ville-exemple")
    assert (org.name_fr, org.name_en, org.acronym, org.country.code) == (
        "Ville d'Exemple (fictive)", "City of Exemple (fictitious)", "VEX", "FR"
    )  # fmt: skip
    assert [c.sector.code for c in org.competences.order_by("rank")] == ["14030", "15112"]
    water = org.experiences.get(start_date=date(2018, 1, 1))
    assert water.title_en == "Drinking water in Kérou (fictitious)"
    assert water.cost == Decimal("250000.00")
    assert water.role == "coordinator"
    assert water.end_date == date(2020, 12, 31)
    assert {(f.donor.acronym, f.amount) for f in water.fundings.select_related("donor")} == {
        ("FCD (fictif)", Decimal("120000.00")),
        ("AEBA (fictive)", Decimal("80000.00")),
    }
    budget = org.experiences.get(start_date=date(2021, 3, 1))
    assert sorted(c.country.code for c in budget.countries.all()) == ["BJ", "SN"]
    assert sorted(s.code for s in budget.sectors.all()) == ["15112", "15150"]
    # Organisation columns left empty on a following row of the same slug change nothing.
    assert org.history.count() == 1
    reason = "Import from import_template.csv (manage.py import_organisations)"
    assert org.history.first().history_change_reason == reason
    assert Organisation.objects.get(slug="reseau-fictif").experiences.count() == 0


def test_reimport_is_a_no_op(sectors):
    run(TEMPLATE)
    before = snapshot()
    versions = dict(Organisation.objects.values_list("slug", "version"))
    out, err = run(TEMPLATE)
    assert err == ""
    assert "Organisations: 0 created, 0 updated, 2 unchanged" in out
    assert "Experiences: 0 created, 0 updated, 2 unchanged" in out
    assert "Donors created: 0" in out
    assert snapshot() == before
    assert dict(Organisation.objects.values_list("slug", "version")) == versions


def test_dry_run_writes_nothing(sectors):
    before = snapshot()
    out, _err = run(TEMPLATE, "--dry-run", "--verbosity", "1")
    assert snapshot() == before
    assert "Organisations: 2 created" in out
    assert "line 2: organisation ville-exemple: created" in out
    assert "Dry run: nothing was written." in out


def test_dry_run_reports_changes_of_an_existing_organisation(sectors, tmp_path):
    run(TEMPLATE)
    with TEMPLATE.open(encoding="utf-8") as template:
        rows = list(csv.DictReader(template))
    rows[2]["city"] = "Bruxelles-Ville"
    path = write(tmp_path, rows, header=list(rows[0]))
    before = snapshot()
    out, _err = run(path, "--dry-run")
    assert "line 4: organisation reseau-fictif: changed city" in out
    assert snapshot() == before
    assert Organisation.objects.get(slug="reseau-fictif").city == "Bruxelles"


def test_a_changed_value_updates_with_history(sectors, tmp_path):
    run(TEMPLATE)
    with TEMPLATE.open(encoding="utf-8") as template:
        rows = list(csv.DictReader(template))
    rows[0]["city"] = "Exemple-sur-Mer"
    rows[0]["competences"] = "15112;14030"
    rows[0]["amount_2"] = "90000"
    out, err = run(write(tmp_path, rows, header=list(rows[0])), "-v", "2")
    assert err == ""
    org = Organisation.objects.get(slug="ville-exemple")
    assert org.city == "Exemple-sur-Mer"
    assert org.history.count() == 2
    assert [c.sector.code for c in org.competences.order_by("rank")] == ["15112", "14030"]
    water = org.experiences.get(start_date=date(2018, 1, 1))
    assert water.funded_total() == Decimal("210000.00")
    assert "Organisations: 0 created, 1 updated, 1 unchanged" in out
    assert "Experiences: 0 created, 1 updated, 1 unchanged" in out
    assert Experience.objects.count() == 2


def test_bad_rows_are_reported_by_line_and_good_rows_import(sectors, afd, tmp_path):
    rows = [
        org_row("good-1"),  # line 2
        org_row("bad-country", country="XX"),  # line 3
        org_row("bad-sector", competences="99999"),  # line 4
        org_row("no-name", name_fr=""),  # line 5
        experience_row("good-1", "Action ok"),  # line 6
        experience_row("good-1", "Bad amount", cost="12abc"),  # line 7
        experience_row("good-1", "Over cost", amount_1="800", donor_2="AFD", amount_2="300"),  # line 8
        experience_row("good-1", "Bad sector", sectors="14030;99999"),  # line 9
        experience_row("good-1", "Bad date", start_date="31/12/2015"),  # line 10
        experience_row("good-1", "Ends before", start_date="2015-06-01", end_date="2015-01-01"),  # line 11
        experience_row("good-1", "Bad experience country", countries="SN;ZZ"),  # line 12
        experience_row("good-1", "Bad funding amount", amount_1="-5"),  # line 13
        org_row("good-2", competences="14030;15110"),  # line 14
    ]
    out, err = run(write(tmp_path, rows))
    errors = err.strip().splitlines()
    assert len(errors) == 10, err
    expected = {
        3: ["country", "XX"],
        4: ["competences", "unknown OECD sector code", "99999"],
        5: ["name_fr, name_en: missing"],
        7: ["cost", "12abc", "not an amount"],
        8: ["cost, amount_*", "1,100.00", "more than the cost"],
        9: ["sectors", "unknown OECD sector code", "99999"],
        10: ["start_date", "31/12/2015", "not a date"],
        11: ["end_date", "The end date cannot be before the start date."],
        12: ["countries", "ZZ"],
        13: ["amount_1", "-5", "not an amount"],
    }
    for line, message in zip(expected, errors, strict=True):
        assert message.startswith(f"line {line}: "), message
        for part in expected[line]:
            assert part in message, (part, message)
    assert "13 rows read, 10 refused" in out
    assert set(Organisation.objects.values_list("slug", flat=True)) == {"good-1", "good-2"}
    assert list(Experience.objects.values_list("title_fr", flat=True)) == ["Action ok"]
    assert Experience.objects.get().funded_total() == Decimal("400")
    assert Organisation.objects.get(slug="good-2").competences.count() == 2
    # A refused row leaves nothing behind, not even history.
    assert Organisation.history.count() == 2
    assert Funding.history.count() == 1


def test_a_refused_row_leaves_its_organisation_out(sectors, afd, tmp_path):
    """The organisation columns are fine but the experience on the same row is not: the row is refused
    whole, and a later row of the same organisation still creates it."""
    rows = [
        {**org_row("new-org"), **experience_row("new-org", "Bad", cost="x")},
        {**org_row("new-org"), **experience_row("new-org", "Good")},
    ]
    _out, err = run(write(tmp_path, rows))
    assert err.startswith("line 2: cost")
    org = Organisation.objects.get(slug="new-org")
    assert list(org.experiences.values_list("title_fr", flat=True)) == ["Good"]


def test_more_than_five_competences_is_refused(sectors, tmp_path):
    rows = [org_row("six", competences="11110;11120;11130;14030;15110;43030")]
    _out, err = run(write(tmp_path, rows))
    assert err.startswith("line 2: competences: ")
    assert "at most 5 fields of competence" in err
    assert not Organisation.objects.exists()


def test_withdrawn_sector_is_refused_for_new_input(sectors, tmp_path):
    _out, err = run(write(tmp_path, [org_row("w", competences="15120")]))
    assert "line 2: competences: the OECD code 15120 has been withdrawn" in err
    assert not Organisation.objects.exists()


def test_different_organisation_values_for_the_same_slug_are_refused(sectors, tmp_path):
    rows = [org_row("twice", city="Dakar"), org_row("twice", city="Thiès")]
    _out, err = run(write(tmp_path, rows))
    assert err.strip() == (
        "line 3: city: differ from line 2 for the same slug; repeat them identically or leave them empty."
    )
    assert Organisation.objects.get(slug="twice").city == "Dakar"


def test_semicolon_separated_file_with_french_amounts(sectors, afd, tmp_path):
    rows = [{**org_row("dakar"), **experience_row("dakar", "Action", cost="1 000,50", amount_1="400,25")}]
    out, err = run(write(tmp_path, rows, delimiter=";"))
    assert err == "", err
    exp = Experience.objects.get()
    assert (exp.cost, exp.funded_total()) == (Decimal("1000.50"), Decimal("400.25"))


def test_unknown_column_stops_before_writing(tmp_path):
    path = write(tmp_path, [org_row("x")], header=HEADER + ["colour"])
    with pytest.raises(CommandError, match="unknown column"):
        run(path)
    assert not Organisation.objects.exists()


def test_missing_file_is_a_clean_error(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        run(tmp_path / "absent.csv")


def test_a_crash_rolls_back_the_whole_run_by_default(sectors, tmp_path, monkeypatch):
    rows = [org_row(f"org-{i}") for i in range(5)]
    path = write(tmp_path, rows)
    crash_on_line(monkeypatch, 5)
    with pytest.raises(RuntimeError):
        run(path)
    assert Organisation.objects.count() == 0
    with pytest.raises(RuntimeError):
        run(path, "--no-atomic")
    assert set(Organisation.objects.values_list("slug", flat=True)) == {"org-0", "org-1", "org-2"}


def test_batches_commit_every_n_rows(sectors, tmp_path, monkeypatch):
    path = write(tmp_path, [org_row(f"org-{i}") for i in range(5)])
    crash_on_line(monkeypatch, 6)
    with pytest.raises(RuntimeError):
        run(path, "--batch", "2")
    # Lines 2-3 and 4-5 were committed as two batches; line 6 failed in the third.
    assert Organisation.objects.count() == 4


@pytest.mark.parametrize(("rows", "bar"), [(2, False), (3, True)])
def test_the_progress_bar_shows_from_the_large_file_bound(sectors, afd, tmp_path, monkeypatch, rows, bar):
    # The bound itself (200 rows) is lowered so that the rows just below and at it import quickly.
    monkeypatch.setattr(import_organisations, "LARGE_FILE", 3)
    path = write(tmp_path, [org_row(f"commune-{i}", competences="14030;15110") for i in range(rows)])
    out, err = run(path)
    assert f"{rows} rows read, 0 refused" in out
    assert (f"{rows}/{rows}" in err) is bar  # tqdm's bar on stderr
    assert Organisation.objects.count() == rows
    _out, err = run(path, "--no-progress")
    assert err == ""


def test_unknown_donor_is_created_once(sectors, tmp_path):
    rows = [
        {**org_row("a"), **experience_row("a", "One", donor_1="Fonds Nouveau")},
        experience_row("a", "Two", donor_1="fonds nouveau"),
    ]
    out, _err = run(write(tmp_path, rows))
    assert "Donors created: 1" in out
    assert Donor.objects.get().fundings.count() == 2


def test_rows_with_only_the_slug_add_experiences_without_touching_the_organisation(sectors, afd, tmp_path):
    run(TEMPLATE)
    org = Organisation.objects.get(slug="reseau-fictif")
    rows = [experience_row("reseau-fictif", "Nouvelle action")]
    out, err = run(write(tmp_path, rows))  # HEADER has the organisation columns, left empty here
    assert err == ""
    assert "Organisations: 0 created, 0 updated, 1 unchanged" in out
    org.refresh_from_db()
    assert (org.name_fr, org.city, org.competences.count()) == ("Réseau fictif des régions", "Bruxelles", 1)
    assert org.history.count() == 1
    assert list(org.experiences.values_list("title_fr", flat=True)) == ["Nouvelle action"]


def test_absent_columns_leave_fields_unchanged(sectors, afd, tmp_path):
    run(TEMPLATE)
    header = ["slug", "title_fr", "start_date", "results_en"]
    rows = [{"slug": "ville-exemple", "title_fr": "Eau potable à Kérou (fictif)", "start_date": "2018-01-01",
             "results_en": "1,850 households connected."}]  # fmt: skip
    out, err = run(write(tmp_path, rows, header=header))
    assert err == ""
    assert "Experiences: 0 created, 1 updated, 0 unchanged" in out
    water = Experience.objects.get(title_fr="Eau potable à Kérou (fictif)")
    assert water.results_en == "1,850 households connected."
    assert (water.cost, water.end_date, water.role) == (Decimal("250000.00"), date(2020, 12, 31), "coordinator")
    assert water.funded_total() == Decimal("200000.00")
    assert Organisation.objects.get(slug="ville-exemple").city == "Exemple"


def test_cost_below_stored_fundings_is_refused_when_fundings_are_not_in_the_file(sectors, tmp_path):
    run(TEMPLATE)
    header = ["slug", "title_fr", "start_date", "cost"]
    rows = [{"slug": "ville-exemple", "title_fr": "Eau potable à Kérou (fictif)", "start_date": "2018-01-01",
             "cost": "150000"}]  # fmt: skip
    _out, err = run(write(tmp_path, rows, header=header))
    assert err.startswith("line 2: cost: The donors' contributions would total 200,000.00 EUR")
    assert Experience.objects.get(title_fr="Eau potable à Kérou (fictif)").cost == Decimal("250000.00")
