import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from experiences.models import Donor, Experience, ExperienceCountry, Funding, Participant
from institutions.models import PROFILE_FIELDS, Competence, Organisation, Sector

DEFAULT_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo_data.json"
CHANGE_REASON = "Demo data (manage.py load_demo)"

PARTNER_EMAIL = "partner@aimf.example"
PARTNER_PASSWORD = "platforma-partner"
PARTNER_ORGANISATION = "aimf"
STAFF_EMAIL = "staff@platforma.example"
STAFF_PASSWORD = "platforma-staff"


ORGANISATION_TRANSLATED = ["name", "description"]
EXPERIENCE_TRANSLATED = ["title", "objectives", "results"]


def _translated(values, fields):
    """name_fr/name_en... as given in the file (empty when absent)."""
    out = {}
    for field in fields:
        out[f"{field}_fr"] = values.get(f"{field}_fr") or ""
        out[f"{field}_en"] = values.get(f"{field}_en") or ""
    return out


def _build(model, values):
    """An unsaved instance with its translation columns set explicitly.

    The base column (`name`, `title`...) is not assigned: with modeltranslation that would also overwrite
    the active language's column. It is read through the translation descriptor on validation and save,
    which happen with French active, so it holds the French value, falling back to English.
    """
    return model(**values)


class Command(BaseCommand):
    help = (
        "Load the demo organisations from fixtures/demo_data.json: the AIMF profile of the original page "
        "and a set of fictional organisations with their competences, experiences (sectors, countries, "
        "fundings) and donors. Requires the OECD sectors (run `manage.py load_sectors` first). Idempotent: "
        "an organisation whose slug already exists is left untouched and reported as skipped, so edits made "
        "since the last run are kept; donors are matched by acronym and created when missing. Every object "
        "is validated with full_clean() and everything is written in one transaction (all or nothing). "
        "Only when DEBUG is on, also creates the development accounts partner@aimf.example (partner of "
        "AIMF, password platforma-partner) and staff@platforma.example (staff superuser, password "
        "platforma-staff) if they are absent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_FILE), help="the demo data file (JSON)")
        parser.add_argument("--dry-run", action="store_true", help="report what would be created, write nothing")

    def handle(self, *args, **options):
        data = self._read(Path(options["file"]))
        dry_run = options["dry_run"]
        self.verbosity = options["verbosity"]  # 2: one line per organisation created or skipped
        keys = [
            "organisations",
            "skipped",
            "competences",
            "experiences",
            "fundings",
            "donors",
            "donors_matched",
            "participants",
        ]
        self.counts = dict.fromkeys(keys, 0)
        with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE), transaction.atomic():
            self.sectors = self._sectors(data)
            donors = self._donors(data.get("donors", []))
            # Participants name organisations that may come later in the file: they are added once every
            # organisation exists, to the experiences created by this run.
            self.created_experiences = []
            for entry in data.get("organisations", []):
                self._organisation(entry, donors)
            for experience, label, participants in self.created_experiences:
                for participant in participants:
                    self._participant(experience, label, participant)
            account_lines = self._dev_accounts(dry_run)
            if dry_run:
                transaction.set_rollback(True)

        c = self.counts
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{verb} {c['organisations']} organisations, skipped {c['skipped']} (already present), "
            f"{c['competences']} competences, {c['experiences']} experiences, {c['fundings']} fundings, "
            f"{c['donors']} donors ({c['donors_matched']} already present), {c['participants']} participants."
        )
        for line in account_lines:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")

    # -- reading ---------------------------------------------------------------------------------------

    def _read(self, path):
        if not path.exists():
            raise CommandError(f"{path} not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("organisations"), list):
            raise CommandError(f'{path}: expected an object with an "organisations" list')
        return data

    def _sectors(self, data):
        if not Sector.objects.exists():
            raise CommandError(
                "The OECD sectors are not loaded: run `manage.py load_sectors` first, then `manage.py load_demo`."
            )
        wanted = set()
        for org in data["organisations"]:
            wanted.update(org.get("competences", []))
            for exp in org.get("experiences", []):
                wanted.update(exp.get("sectors", []))
        sectors = {s.code: s for s in Sector.objects.filter(code__in=wanted)}
        missing = sorted(wanted - set(sectors))
        if missing:
            raise CommandError(
                f"Unknown OECD sector code(s) {', '.join(missing)}: run `manage.py load_sectors` to load or "
                "refresh the sectors, or correct the demo data file."
            )
        return sectors

    # -- writing ---------------------------------------------------------------------------------------

    def _save(self, obj, label):
        try:
            obj.full_clean()
        except ValidationError as exc:
            raise CommandError(f"{label}: {exc}") from exc
        obj._change_reason = CHANGE_REASON
        obj.save()
        return obj

    def _donors(self, entries):
        donors = {}
        for entry in entries:
            acronym = entry["acronym"]
            donor = Donor.objects.filter(acronym=acronym).first()
            if donor is None:
                donor = self._save(
                    _build(Donor, {"acronym": acronym, **_translated(entry, ["name"])}), f"donor {acronym}"
                )
                self.counts["donors"] += 1
            else:
                self.counts["donors_matched"] += 1
            donors[acronym] = donor
        return donors

    def _donor(self, acronym, donors):
        if acronym not in donors:
            donor = Donor.objects.filter(acronym=acronym).first()
            if donor is None:
                raise CommandError(f'donor {acronym!r} is neither in the database nor in the file\'s "donors" list')
            donors[acronym] = donor
        return donors[acronym]

    def _organisation(self, entry, donors):
        slug = entry.get("slug")
        if not slug:
            raise CommandError(f"organisation {entry.get('name_fr') or entry.get('name_en')!r} has no slug")
        if Organisation.objects.filter(slug=slug).exists():
            self.counts["skipped"] += 1
            if self.verbosity >= 2:
                self.stdout.write(f"  skipped {slug} (already present, left untouched)")
            return
        values = {f: entry.get(f) or "" for f in PROFILE_FIELDS}
        values.update(_translated(entry, ORGANISATION_TRANSLATED))
        org = _build(Organisation, {**values, "slug": slug, "published": bool(entry.get("published", True))})
        self._save(org, f"organisation {slug}")
        self.counts["organisations"] += 1
        if self.verbosity >= 2:
            self.stdout.write(f"  created {slug}")

        for rank, code in enumerate(entry.get("competences", []), start=1):
            comp = Competence(organisation=org, sector=self.sectors[code], rank=rank)
            self._save(comp, f"{slug}: competence {code}")
            self.counts["competences"] += 1

        for n, exp_entry in enumerate(entry.get("experiences", []), start=1):
            self._experience(org, n, exp_entry, donors)

    def _experience(self, org, n, entry, donors):
        label = f"{org.slug}: experience {n}"
        try:
            cost = None if entry.get("cost") in (None, "") else Decimal(entry["cost"])
            start = date.fromisoformat(entry["start_date"])
            end = date.fromisoformat(entry["end_date"]) if entry.get("end_date") else None
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise CommandError(f"{label}: bad cost or date ({exc})") from exc
        values = _translated(entry, EXPERIENCE_TRANSLATED)
        exp = _build(
            Experience,
            {
                **values,
                "organisation": org,
                "cost": cost,
                "role": entry.get("role", ""),
                "start_date": start,
                "end_date": end,
            },
        )
        self._save(exp, label)
        exp.sectors.set([self.sectors[code] for code in entry.get("sectors", [])])
        self.counts["experiences"] += 1
        for code in entry.get("countries", []):
            self._save(ExperienceCountry(experience=exp, country=code), f"{label}: country {code}")
        for funding in entry.get("fundings", []):
            try:
                amount = Decimal(funding["amount"])
            except (KeyError, InvalidOperation) as exc:
                raise CommandError(f"{label}: bad funding amount ({exc})") from exc
            donor = self._donor(funding["donor"], donors)
            self._save(Funding(experience=exp, donor=donor, amount=amount), f"{label}: funding by {donor}")
            self.counts["fundings"] += 1
        self.created_experiences.append((exp, label, entry.get("participants", [])))

    def _participant(self, experience, label, entry):
        values = {"experience": experience, "role": entry.get("role", "")}
        if entry.get("organisation"):
            organisation = Organisation.objects.filter(slug=entry["organisation"]).first()
            if organisation is None:
                raise CommandError(f"{label}: participant {entry['organisation']!r} is not in the directory")
            values["organisation"] = organisation
        else:
            values.update(name=entry.get("name", ""), country=entry.get("country", ""), kind=entry.get("kind", ""))
        self._save(Participant(**values), f"{label}: participant {entry.get('organisation') or entry.get('name')}")
        self.counts["participants"] += 1

    def _dev_accounts(self, dry_run):
        if not settings.DEBUG:
            return ["DEBUG is off: the development accounts were not created (they never are outside development)."]
        User = get_user_model()
        lines = []
        created = "would be created" if dry_run else "created"
        staff = User.objects.filter(email__iexact=STAFF_EMAIL).first()
        if staff is None:
            User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
            lines.append(f"Development account {created}: {STAFF_EMAIL} / {STAFF_PASSWORD} (staff).")
        else:
            lines.append(f"Development account {STAFF_EMAIL} already present, left untouched.")
        partner = User.objects.filter(email__iexact=PARTNER_EMAIL).first()
        if partner is None:
            partner = User.objects.create_user(PARTNER_EMAIL, PARTNER_PASSWORD)
            lines.append(f"Development account {created}: {PARTNER_EMAIL} / {PARTNER_PASSWORD} (partner).")
        else:
            lines.append(f"Development account {PARTNER_EMAIL} already present, left untouched.")
        aimf = Organisation.objects.filter(slug=PARTNER_ORGANISATION).first()
        if aimf is None:
            lines.append(f"No organisation {PARTNER_ORGANISATION!r}: {PARTNER_EMAIL} has no partner access.")
        elif not aimf.memberships.filter(user=partner).exists():
            # Partner access (partners.Membership) through its relation: the data layer imports no partner code.
            self._save(aimf.memberships.model(user=partner, organisation=aimf), f"partner access {PARTNER_EMAIL}")
            verb = "would be" if dry_run else "is now"
            lines.append(f"{PARTNER_EMAIL} {verb} a partner of {aimf.acronym or aimf.slug}.")
        return lines
