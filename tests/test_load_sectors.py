"""The load_sectors command: loads both CSV files, is idempotent, reports changes, never deletes a code."""

import csv
import io
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command

from institutions.models import Sector, SectorCategory

pytestmark = pytest.mark.usefixtures("no_sectors")  # each test loads the codes itself

FIXTURES = settings.BASE_DIR / "fixtures"
SECTORS_CSV = "oecd_dac_sectors.csv"
CATEGORIES_CSV = "oecd_dac_sector_categories.csv"


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def load(*args):
    out = io.StringIO()
    call_command("load_sectors", *args, stdout=out)
    return out.getvalue()


def withdrawn_count(rows):
    return sum(row["withdrawn"].strip().lower() == "true" for row in rows)


def test_counts_match_the_csv_files():
    categories, sectors = read_rows(FIXTURES / CATEGORIES_CSV), read_rows(FIXTURES / SECTORS_CSV)
    output = load()
    assert SectorCategory.objects.count() == len(categories)
    assert SectorCategory.objects.filter(withdrawn=True).count() == withdrawn_count(categories)
    assert Sector.objects.count() == len(sectors)
    assert Sector.objects.filter(withdrawn=True).count() == withdrawn_count(sectors)
    assert Sector.objects.active().count() == len(sectors) - withdrawn_count(sectors)
    assert f"sectors: {len(sectors)} added, 0 changed" in output
    assert f"categories: {len(categories)} added, 0 changed" in output
    assert len(output.splitlines()) == 2  # a summary per file; each added code only with -v 2


def test_each_added_code_is_listed_with_verbosity_2():
    output = load("-v", "2")
    assert "added 14030 Basic drinking water supply and basic sanitation" in output


def test_french_and_english_names():
    load()
    sector = Sector.objects.get(code="14030")
    assert sector.name_en == "Basic drinking water supply and basic sanitation"
    assert sector.name_fr == "Approvisionnement en eau potable et assainissement - dispositifs de base"
    assert sector.description_en and sector.description_fr
    assert sector.category.code == "140"
    assert sector.category.name_en and sector.category.name_fr


def test_running_again_changes_nothing():
    load()
    before = list(Sector.objects.values_list("code", "name_fr", "name_en", "withdrawn", "category_id"))
    output = load()
    assert "sectors: 0 added, 0 changed, 0 newly withdrawn" in output
    assert "categories: 0 added, 0 changed, 0 newly withdrawn" in output
    assert (
        list(Sector.objects.values_list("code", "name_fr", "name_en", "withdrawn", "category_id")) == before
    )


@pytest.fixture
def modified_dir(tmp_path):
    """A copy of the files with 14030 renamed, 14031 removed and a made-up 14099 added."""
    shutil.copy(FIXTURES / CATEGORIES_CSV, tmp_path / CATEGORIES_CSV)
    rows = read_rows(FIXTURES / SECTORS_CSV)
    for row in rows:
        if row["code"] == "14030":
            row["name_en"] = "Basic drinking water and sanitation"
    assert any(row["code"] == "14031" and row["withdrawn"] == "false" for row in rows)
    rows = [row for row in rows if row["code"] != "14031"]
    added = dict(
        rows[0], code="14099", category_code="140", name_en="New water code", name_fr="Nouveau code eau"
    )
    write_rows(tmp_path / SECTORS_CSV, rows + [added])
    return tmp_path


def test_modified_files_are_reported(modified_dir):
    load()
    total = Sector.objects.count()
    output = load("--dir", str(modified_dir))
    assert "changed 14030: name_en" in output
    assert "withdrawn 14031 (no longer in the file)" in output
    assert "added 14099" not in output  # counted in the summary; listed with -v 2
    assert "sectors: 1 added, 1 changed, 1 newly withdrawn" in output
    assert "categories: 0 added, 0 changed, 0 newly withdrawn" in output

    assert Sector.objects.get(code="14030").name_en == "Basic drinking water and sanitation"
    removed = Sector.objects.get(code="14031")
    assert removed.withdrawn  # kept for the records that use it, no longer offered
    assert not Sector.objects.active().filter(code="14031").exists()
    new = Sector.objects.get(code="14099")
    assert (new.name_fr, new.category.code, new.withdrawn) == ("Nouveau code eau", "140", False)
    assert Sector.objects.count() == total + 1


def test_dry_run_writes_nothing(modified_dir):
    output = load("--dry-run")
    assert "Dry run: nothing was written." in output
    assert f"sectors: {len(read_rows(FIXTURES / SECTORS_CSV))} added" in output
    assert not Sector.objects.exists()
    assert not SectorCategory.objects.exists()

    load()
    before = list(Sector.objects.values_list("code", "name_en", "withdrawn"))
    output = load("--dir", str(modified_dir), "--dry-run")
    assert "sectors: 1 added, 1 changed, 1 newly withdrawn" in output
    assert list(Sector.objects.values_list("code", "name_en", "withdrawn")) == before
