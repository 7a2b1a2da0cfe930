import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from institutions.models import Competence, Sector, SectorCategory

DEFAULT_DIR = Path(settings.BASE_DIR) / "fixtures"
CATEGORY_FIELDS = ["name_en", "name_fr", "description_en", "description_fr", "withdrawn"]
SECTOR_FIELDS = CATEGORY_FIELDS + ["category"]


class Command(BaseCommand):
    help = (
        "Load or refresh the OECD DAC sector categories (3-digit) and CRS purpose codes (5-digit) from "
        "oecd_dac_sector_categories.csv and oecd_dac_sectors.csv. Adds new codes, updates changed names, "
        "descriptions and withdrawn flags, and reports each change. Never deletes a code: a code missing "
        "from the files is reported and marked withdrawn, so records that use it keep it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(DEFAULT_DIR), help="folder holding the two CSV files")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument(
            "--list-withdrawn-usage",
            action="store_true",
            help="only list the organisations and experiences that use a withdrawn code (reads no file, "
            "writes nothing); the admin's filter 'withdrawn OECD code' shows the same records",
        )

    def handle(self, *args, **options):
        if options["list_withdrawn_usage"]:
            self._list_withdrawn_usage()
            return
        folder = Path(options["dir"])
        categories = self._read(folder / "oecd_dac_sector_categories.csv")
        sectors = self._read(folder / "oecd_dac_sectors.csv")
        with transaction.atomic():
            cat_report = self._sync(SectorCategory, categories, CATEGORY_FIELDS, {})
            by_code = {c.code: c for c in SectorCategory.objects.all()}
            sec_report = self._sync(Sector, sectors, SECTOR_FIELDS, by_code)
            if options["dry_run"]:
                transaction.set_rollback(True)
        for label, report in (("categories", cat_report), ("sectors", sec_report)):
            for line in report["lines"]:
                # Changes and withdrawals always; each added code only with -v 2 (a first load adds ~400).
                if options["verbosity"] >= 2 or not line.startswith("added "):
                    self.stdout.write(f"  {line}")
            self.stdout.write(
                f"{label}: {report['added']} added, {report['changed']} changed, "
                f"{report['withdrawn']} newly withdrawn, {report['unchanged']} unchanged"
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")

    def _read(self, path):
        if not path.exists():
            raise CommandError(f"{path} not found")
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            row["withdrawn"] = row["withdrawn"].strip().lower() == "true"
        return rows

    def _sync(self, model, rows, fields, categories):
        report = {"added": 0, "changed": 0, "withdrawn": 0, "unchanged": 0, "lines": []}
        existing = {obj.code: obj for obj in model.objects.all()}
        seen = set()
        for row in rows:
            code = row["code"].strip()
            seen.add(code)
            values = {f: row[f] for f in fields if f != "category"}
            if "category" in fields:
                try:
                    values["category"] = categories[row["category_code"].strip()]
                except KeyError:
                    raise CommandError(f"sector {code}: unknown category {row['category_code']!r}") from None
            obj = existing.get(code)
            if obj is None:
                obj = model(code=code, **values)
                obj.save()
                report["added"] += 1
                report["lines"].append(f"added {code} {obj.name_en or obj.name_fr}")
                continue
            changed = [f for f, v in values.items() if getattr(obj, f) != v]
            if not changed:
                report["unchanged"] += 1
                continue
            newly_withdrawn = "withdrawn" in changed and values["withdrawn"]
            if newly_withdrawn:
                report["withdrawn"] += 1
            for f in changed:
                setattr(obj, f, values[f])
            obj.save()
            report["changed"] += 1
            report["lines"].append(f"changed {code}: {', '.join(changed)}{self._usage(obj, newly_withdrawn)}")
        for code, obj in existing.items():
            if code not in seen and not obj.withdrawn:
                obj.withdrawn = True
                obj.save(update_fields=["withdrawn"])
                report["withdrawn"] += 1
                report["lines"].append(f"withdrawn {code} (no longer in the file){self._usage(obj, True)}")
        return report

    @staticmethod
    def _usage(obj, newly_withdrawn):
        """How many records keep a code that has just been withdrawn (they keep it; staff review them)."""
        if not newly_withdrawn or not isinstance(obj, Sector):
            return ""
        competences = Competence.objects.filter(sector=obj).count()
        experiences = obj.experiences.count()
        return f"; still used by {competences} competence(s) and {experiences} experience(s)"

    def _list_withdrawn_usage(self):
        withdrawn = Sector.objects.filter(withdrawn=True)
        competences = (
            Competence.objects.filter(sector__in=withdrawn)
            .select_related("sector", "organisation")
            .order_by("sector__code", "organisation__slug")
        )
        through = Sector.experiences.through
        experience_links = (
            through.objects.filter(sector__in=withdrawn)
            .select_related("sector", "experience__organisation")
            .order_by("sector__code", "experience__organisation__slug", "experience_id")
        )
        for c in competences:
            self.stdout.write(f"{c.sector.code}  competence of organisation {c.organisation.slug}")
        for link in experience_links:
            exp = link.experience
            self.stdout.write(
                f"{link.sector.code}  experience #{exp.pk} “{exp.title_fr or exp.title_en}” "
                f"of organisation {exp.organisation.slug}"
            )
        self.stdout.write(
            f"{competences.count()} competence(s) and {experience_links.count()} experience sector(s) "
            "use a withdrawn code."
        )
