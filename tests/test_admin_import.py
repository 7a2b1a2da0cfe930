"""The admin's import page: upload a CSV or XLSX file, see the dry run (rows to add, change, refuse, with
reasons), confirm, follow the progress; who may; the bounds on size and rows; the real background worker."""

import csv
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from experiences.models import Experience
from institutions.models import ImportRun, Organisation
from tests.factories import admin_url
from tests.test_import import crash_on_line

pytestmark = pytest.mark.django_db

TEMPLATE = (settings.BASE_DIR / "fixtures" / "import_template.csv").read_bytes()
SLUGS = {"ville-exemple", "reseau-fictif"}


def upload(client, content=TEMPLATE, name="communes.csv"):
    return client.post(admin_url(ImportRun, "add"), {"file": SimpleUploadedFile(name, content)})


def as_xlsx(content):
    """The same table as an Excel workbook, numbers and dates as a spreadsheet stores them."""
    book = Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(content.decode("utf-8"))):
        sheet.append([float(cell) if cell.replace(".", "", 1).isdigit() and "." in cell else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def the_run():
    return ImportRun.objects.get()


def test_upload_shows_the_dry_run_and_writes_nothing_until_confirmed(client, staff, sectors):
    response = upload(client)
    run = the_run()
    assert response.status_code == 302 and response["Location"] == admin_url(ImportRun, "change", run.pk)
    assert run.status == ImportRun.Status.CHECKED and run.rows_total == 3
    assert not Organisation.objects.exists()

    page = client.get(response["Location"]).content.decode()
    assert "3 rows read, 0 refused. Organisations: 2 created" in page
    assert "organisation ville-exemple: created" in page and "organisation reseau-fictif: created" in page
    assert 'name="confirm"' in page and "http-equiv" not in page  # finished: no refreshing

    response = client.post(response["Location"], {"confirm": "1"})
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.rows_done == 3 and run.content == b""
    assert set(Organisation.objects.values_list("slug", flat=True)) == SLUGS
    assert Experience.objects.count() == 2
    record = Organisation.objects.get(slug="ville-exemple").history.earliest()
    assert record.history_user == staff and record.history_change_reason == "Import from communes.csv (admin)"
    page = client.get(response["Location"]).content.decode()
    assert "What the import did" in page and 'name="confirm"' not in page


def test_a_second_confirmation_imports_nothing_more(client, staff, sectors):
    upload(client)
    url = admin_url(ImportRun, "change", the_run().pk)
    client.post(url, {"confirm": "1"})
    versions = Organisation.history.count()
    client.post(url, {"confirm": "1"})
    assert Organisation.history.count() == versions
    assert the_run().status == ImportRun.Status.DONE


def test_an_excel_workbook_imports_like_its_csv(client, staff, sectors):
    upload(client, as_xlsx(TEMPLATE), name="communes.xlsx")
    client.post(admin_url(ImportRun, "change", the_run().pk), {"confirm": "1"})
    assert set(Organisation.objects.values_list("slug", flat=True)) == SLUGS
    costs = sorted(Experience.objects.values_list("cost", flat=True))
    assert [str(c) for c in costs] == ["60000.00", "250000.00"]


def test_refused_rows_are_listed_with_their_reason_and_left_out(client, staff, sectors):
    bad = TEMPLATE.replace(b",FR,https://ville-exemple", b",XX,https://ville-exemple")
    upload(client, bad)
    page = client.get(admin_url(ImportRun, "change", the_run().pk)).content.decode()
    assert "2 rows refused" in page and "line 2: country:" in page and "line 3: name_fr, name_en: missing" in page
    client.post(admin_url(ImportRun, "change", the_run().pk), {"confirm": "1"})
    # Line 3 adds an experience to the organisation refused on line 2, and names none: refused in turn.
    assert set(Organisation.objects.values_list("slug", flat=True)) == {"reseau-fictif"}


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"slug,colour\nx,blue\n", "a.csv", "unknown column(s) colour"),
        (b"name_fr\nx\n", "a.csv", "the header row has no “slug” column"),
        (b"\xff\xfe not text", "a.csv", "cannot read it as UTF-8 text"),
        (b"PK not a workbook", "a.xlsx", "cannot read it as an Excel workbook"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why(client, staff, content, name, message):
    upload(client, content, name)
    run = the_run()
    assert run.status == ImportRun.Status.FAILED and message in run.error
    page = client.get(admin_url(ImportRun, "change", run.pk)).content.decode()
    assert 'class="errornote"' in page and 'name="confirm"' not in page


def test_only_csv_and_xlsx_files_are_accepted(client, staff):
    response = upload(client, b"slug\nx\n", "communes.ods")
    assert response.status_code == 200 and "Choose a .csv or .xlsx file." in response.content.decode()
    assert not ImportRun.objects.exists()


def test_file_size_bound(client, staff, monkeypatch):
    monkeypatch.setattr(ImportRun, "MAX_BYTES", len(TEMPLATE))
    assert upload(client, TEMPLATE).status_code == 302
    response = upload(client, TEMPLATE + b"\n")
    assert response.status_code == 200 and "split the file" in response.content.decode()
    assert ImportRun.objects.count() == 1


def test_row_count_bound(client, staff, sectors, monkeypatch):
    monkeypatch.setattr(ImportRun, "MAX_ROWS", 3)
    upload(client, TEMPLATE)
    assert the_run().status == ImportRun.Status.CHECKED
    upload(client, TEMPLATE + b"autre-commune,Autre commune,,,,,,,SN,,,,,,,,,,,,,,,,,,,,,,,,\n")
    run = ImportRun.objects.first()
    assert run.status == ImportRun.Status.FAILED and "4 rows; at most 3" in run.error


def test_the_import_commits_in_batches_and_shows_how_far_it_got(client, staff, sectors, monkeypatch):
    """A crash on the fifth row: the batches before it stay imported, the page says the import stopped."""
    monkeypatch.setattr(ImportRun, "BATCH", 2)
    rows = "".join(f"commune-{i},Commune {i},,,,,,,SN,,,,,,,,,,,,,,,,,,,,,,,,\n" for i in range(6))
    upload(client, TEMPLATE.split(b"\n", 1)[0] + b"\n" + rows.encode())
    crash_on_line(monkeypatch, 6)
    client.post(admin_url(ImportRun, "change", the_run().pk), {"confirm": "1"})
    run = the_run()
    assert run.status == ImportRun.Status.FAILED and "RuntimeError" in run.error
    assert run.rows_done == 4 and Organisation.objects.count() == 4


def test_progress_page_refreshes_while_the_worker_has_not_finished(client, staff):
    run = ImportRun.objects.create(file_name="a.csv", content=TEMPLATE, language="en", status="importing")
    run.rows_total, run.rows_done = 300, 100
    run.save()
    page = client.get(admin_url(ImportRun, "change", run.pk)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Imported 100 of 300 rows." in page and '<progress max="300" value="100">' in page


def test_the_report_is_in_the_uploaders_language(client, staff, sectors):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    upload(client)
    page = client.get(admin_url(ImportRun, "change", the_run().pk)).content.decode()
    assert "3 lignes lues, 0 refusée" in page and "organisation ville-exemple : créée" in page
    assert "Ce que l’import va faire" in page


def test_the_template_can_be_downloaded(client, staff):
    response = client.get(reverse("admin:institutions_importrun_template"))
    assert response.status_code == 200 and b"".join(response.streaming_content) == TEMPLATE
    assert "import_template.csv" in response["Content-Disposition"]


def test_the_organisation_list_links_to_the_import_for_those_who_may(client, staff, django_user_model):
    link = admin_url(ImportRun, "add")
    assert link in client.get(admin_url(Organisation, "changelist")).content.decode()
    viewer = django_user_model.objects.create_user("viewer@example.org", "pw-correct-horse-battery", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    client.force_login(viewer)
    page = client.get(admin_url(Organisation, "changelist"))
    assert page.status_code == 200 and link not in page.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "partner", "staff without permission", "staff with permission"])
def test_who_may_import(client, django_user_model, who, sectors):
    if who != "anonymous":
        user = django_user_model.objects.create_user("u@example.org", "pw-correct-horse-battery")
        user.is_staff = who.startswith("staff")
        user.save()
        if who == "staff with permission":
            for perm in ImportRun.PERMISSIONS:
                app_label, codename = perm.split(".")
                user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        client.force_login(user)
    existing = ImportRun.objects.create(file_name="a.csv", content=TEMPLATE, language="en")
    allowed = who == "staff with permission"
    for response in (
        upload(client),
        client.get(admin_url(ImportRun, "add")),
        client.get(admin_url(ImportRun, "change", existing.pk)),
        client.get(reverse("admin:institutions_importrun_template")),
    ):
        if response.streaming:
            b"".join(response.streaming_content)  # read to the end, the file is closed
        if who in ("anonymous", "partner"):
            assert response.status_code == 302 and "/login/" in response["Location"]
        else:
            assert response.status_code in ((200, 302) if allowed else (403,))
    assert ImportRun.objects.count() == (2 if allowed else 1)


def test_an_unknown_run_is_404(client, staff):
    assert client.get(admin_url(ImportRun, "change", 999)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_checks_and_imports(client, staff, settings, sectors):
    """With the real queue: nothing happens until the worker runs; then each step is done once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    upload(client)
    run = the_run()
    page = client.get(admin_url(ImportRun, "change", run.pk)).content.decode()
    assert run.status == ImportRun.Status.CHECKING and '<meta http-equiv="refresh"' in page
    call_command("db_worker", "--batch", "--no-startup-delay")
    run.refresh_from_db()
    assert run.status == ImportRun.Status.CHECKED and not Organisation.objects.exists()
    client.post(admin_url(ImportRun, "change", run.pk), {"confirm": "1"})
    assert the_run().status == ImportRun.Status.IMPORTING
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert the_run().status == ImportRun.Status.DONE
    assert set(Organisation.objects.values_list("slug", flat=True)) == SLUGS
