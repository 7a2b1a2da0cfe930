"""Import organisations, their competences, experiences and fundings from a table (CSV or XLSX): the rules
shared by `manage.py import_organisations` and the admin's import page.

The format is documented in the README ("Importing organisations"); fixtures/import_template.csv is a
filled-in example. In short: one row per experience, the organisation columns repeated on each row of the
same organisation (or left empty after its first row); an organisation is identified by its `slug`, an
experience by its organisation, start date and title, so running the same file again changes nothing.

Every object goes through full_clean() (the models' own rules) and save() (so history keeps a version with
the import as its reason); the sum of the fundings is checked by check_fundings_within_cost, the rule the
forms use, and the participants by check_participants_count and each once, as the forms do. A refused row
is rolled back alone (a savepoint) and reported with its line number; the other rows import.
"""

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from experiences.models import (
    Donor,
    Experience,
    ExperienceCountry,
    Funding,
    Participant,
    check_fundings_within_cost,
    check_participants_count,
)
from institutions.models import PROFILE_FIELDS, Competence, Organisation, Sector

ORGANISATION_COLUMNS = [
    "name_fr",
    "name_en",
    *PROFILE_FIELDS,
    "description_fr",
    "description_en",
    "published",
    "competences",
]
# Columns whose empty cell means "the model's default for a new organisation, unchanged for an existing one".
KEEP_WHEN_EMPTY = {"kind", "published"}
EXPERIENCE_TEXT = ["title_fr", "title_en", "objectives_fr", "objectives_en", "results_fr", "results_en"]
EXPERIENCE_COLUMNS = EXPERIENCE_TEXT + ["role", "start_date", "end_date", "cost", "sectors", "countries"]
FUNDING_COLUMN = re.compile(r"^(donor|amount)_([1-9][0-9]?)$")
# participant_1 (a directory slug, or the name of an organisation not listed), participant_1_role, and for
# one not listed participant_1_country and participant_1_kind.
PARTICIPANT_COLUMN = re.compile(r"^participant_([1-9][0-9]?)(?:_(role|country|kind))?$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")  # a cell of this form names a directory slug, not a name
TRUE, FALSE = {"true", "yes", "1", "oui", "vrai"}, {"false", "no", "0", "non", "faux"}


class ImportFileError(Exception):
    """The file cannot be imported at all (not readable, no slug column, unknown columns): nothing is written."""


class RowError(Exception):
    """A row is refused; the message says which column and why."""


@dataclass
class Report:
    created: dict = field(default_factory=lambda: dict.fromkeys(["organisation", "experience", "donor"], 0))
    updated: dict = field(default_factory=lambda: dict.fromkeys(["organisation", "experience"], 0))
    unchanged: dict = field(default_factory=lambda: dict.fromkeys(["organisation", "experience"], 0))
    errors: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    rows: int = 0

    def as_dict(self):
        return asdict(self)

    def summary(self):
        return _(
            "%(total)d rows read, %(refused)d refused. Organisations: %(org_created)d created, "
            "%(org_updated)d updated, %(org_unchanged)d unchanged. Experiences: %(exp_created)d created, "
            "%(exp_updated)d updated, %(exp_unchanged)d unchanged. Donors created: %(donors)d."
        ) % {
            "total": self.rows,
            "refused": len(self.errors),
            "org_created": self.created["organisation"],
            "org_updated": self.updated["organisation"],
            "org_unchanged": self.unchanged["organisation"],
            "exp_created": self.created["experience"],
            "exp_updated": self.updated["experience"],
            "exp_unchanged": self.unchanged["experience"],
            "donors": self.created["donor"],
        }


def split_list(value):
    return [part.strip() for part in re.split(r"[;|]", value or "") if part.strip()]


def parse_amount(column, value):
    """EUR amounts as typed in a spreadsheet: 1100000, 1100000.50, 1 100 000,50."""
    text = (value or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise RowError(
            _("%(column)s: “%(value)s” is not an amount in EUR (write for example 1100000.50).")
            % {"column": column, "value": value}
        )
    return amount.quantize(Decimal("0.01"))


def parse_date(column, value):
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError(
            _("%(column)s: “%(value)s” is not a date (write YYYY-MM-DD, for example 2010-01-31).")
            % {"column": column, "value": value}
        ) from None


def describe(exc, prefix="", columns=None):
    """A model ValidationError as 'column: message' text, naming the CSV columns rather than model fields."""
    columns = columns or {}
    if not hasattr(exc, "error_dict"):
        return "; ".join(f"{prefix}{m}" for m in exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        label = columns.get(name, name)
        for message in errors:
            parts.append(f"{prefix}{message}" if name == "__all__" else f"{prefix}{label}: {message}")
    return "; ".join(parts)


def validate(obj, prefix="", columns=None, exclude=None):
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise RowError(describe(exc, prefix, columns)) from None


# -- reading -----------------------------------------------------------------------------------------------


def read_table(name, content):
    """(header, [(line, {column: text})]) from a file's bytes: an .xlsx workbook's first sheet, else CSV text."""
    if name.lower().endswith(".xlsx"):
        header, rows = _xlsx_rows(name, content)
    else:
        header, rows = _csv_rows(name, content)
    known = {"slug", *ORGANISATION_COLUMNS, *EXPERIENCE_COLUMNS}
    unknown = [h for h in header if h not in known and not FUNDING_COLUMN.match(h) and not PARTICIPANT_COLUMN.match(h)]
    if "slug" not in header:
        raise ImportFileError(_("%(path)s: the header row has no “slug” column.") % {"path": name})
    if unknown:
        raise ImportFileError(
            _("%(path)s: unknown column(s) %(columns)s; see the README for the accepted columns.")
            % {"path": name, "columns": ", ".join(unknown)}
        )
    return header, rows


def _csv_rows(name, content):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("%(path)s: cannot read it as UTF-8 text (%(error)s)") % {"path": name, "error": exc}
        ) from exc
    first = text.split("\n", 1)[0]
    # French spreadsheets export with semicolons; the header row tells which one the file uses.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(text.splitlines(keepends=True), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = []
    line = 2  # the header is line 1
    for row in reader:
        rows.append((line, {k: (v or "").strip() for k, v in row.items() if k is not None}))
        line = reader.line_num + 1  # a quoted cell may span several lines
    return header, rows


def _xlsx_rows(name, content):
    """The first sheet of a workbook; the line numbers are the sheet's row numbers, cells read as text."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a file that is not a workbook
        raise ImportFileError(_("%(path)s: cannot read it as an Excel workbook (.xlsx).") % {"path": name}) from exc
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [_cell_text(value) for value in next(lines, ())]
        while header and not header[-1]:
            header.pop()
        rows = []
        for line, values in enumerate(lines, start=2):
            texts = [_cell_text(value) for value in values[: len(header)]]
            texts += [""] * (len(header) - len(texts))
            if any(texts):
                rows.append((line, dict(zip(header, texts, strict=True))))
    finally:
        book.close()
    return header, rows


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return str(value).strip()


# -- importing -----------------------------------------------------------------------------------------------


class Importer:
    """Imports the rows read by read_table. `reason` goes in each object's history, with `user` when known."""

    def __init__(self, header, rows, reason, user=None):
        self.header = set(header)
        self.rows = rows
        self.reason = reason
        self.user = user
        self.funding_numbers = sorted({int(m.group(2)) for m in map(FUNDING_COLUMN.match, header) if m})
        self.participant_numbers = sorted({int(m.group(1)) for m in map(PARTICIPANT_COLUMN.match, header) if m})

    def run(self, dry_run=False, batch=None, progress=None):
        """Imports every row and returns the Report. One transaction, unless `batch` commits every N rows;
        a dry run rolls everything back. `progress(rows_done)` is called after each row, inside its batch's
        transaction."""
        self.report = Report(rows=len(self.rows))
        self._preload(self.rows)
        if dry_run or not batch:
            batch = len(self.rows) or 1
        done = 0
        for start in range(0, len(self.rows), batch):
            with transaction.atomic():
                for line, row in self.rows[start : start + batch]:
                    self._row(line, row)
                    done += 1
                    if progress:
                        progress(done)
                if dry_run:
                    transaction.set_rollback(True)
        return self.report

    def _preload(self, rows):
        """What every row looks up, read once: sectors, donors, the organisations the file names."""
        self.sectors = {s.code: s for s in Sector.objects.all()}
        self.donors = {}
        for donor in Donor.objects.all():
            self._remember_donor(donor)
        slugs = sorted({row.get("slug", "") for _line, row in rows} - {""})
        self.orgs = {}
        # With their competences and experiences: comparing a re-imported file costs a few queries for
        # 500 organisations rather than a few for each.
        experiences = Experience.objects.prefetch_related("sectors", "countries", "fundings")
        for i in range(0, len(slugs), 500):
            chunk = Organisation.objects.filter(slug__in=slugs[i : i + 500]).prefetch_related(
                "competences", Prefetch("experiences", queryset=experiences)
            )
            for org in chunk:
                self.orgs[org.slug] = org
        self.absent = set(slugs) - set(self.orgs)  # slugs known not to be in the database yet
        self.experiences = {}  # organisation pk -> {experience key: experience}
        self.first_row = {}  # slug -> (line, organisation values) of its first imported row

    def _remember_donor(self, donor):
        for text in (donor.acronym, donor.name_fr, donor.name_en):
            if text:
                self.donors.setdefault(text.casefold(), donor)

    # -- one row ---------------------------------------------------------------------------------------

    def _row(self, line, row):
        slug = row.get("slug", "")
        counts = tuple(dict(d) for d in (self.report.created, self.report.updated, self.report.unchanged))
        self.row_donors = []
        first_of_slug = slug not in self.first_row
        try:
            if not slug:
                raise RowError(_("slug: missing; every row needs the organisation's slug."))
            with transaction.atomic():
                lines = []
                org = self._organisation(line, slug, row, lines)
                if (
                    any(row.get(c) for c in EXPERIENCE_COLUMNS)
                    or any(row.get(f"{kind}_{n}") for kind in ("donor", "amount") for n in self.funding_numbers)
                    or any(row.get(f"participant_{n}") for n in self.participant_numbers)
                ):
                    self._experience(org, row, lines)
        except RowError as exc:
            # The savepoint is rolled back: forget what this row put in the caches and counts.
            if first_of_slug:
                self.first_row.pop(slug, None)
            org = self.orgs.pop(slug, None)
            if org is not None:
                self.experiences.pop(org.pk, None)
            for donor in self.row_donors:
                self.donors = {k: d for k, d in self.donors.items() if d is not donor}
            self.report.created, self.report.updated, self.report.unchanged = counts
            self.report.errors.append(_("line %(line)d: %(reason)s") % {"line": line, "reason": exc})
            return
        self.report.lines += [_("line %(line)d: %(reason)s") % {"line": line, "reason": text} for text in lines]

    def _save(self, obj):
        obj._change_reason = self.reason
        if self.user is not None:
            obj._history_user = self.user
        # The untranslated column (name, title...) takes the active language's value on save: the site's
        # default language, falling back to the other one.
        with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
            obj.save()

    def _delete(self, obj):
        obj._change_reason = self.reason
        if self.user is not None:
            obj._history_user = self.user
        obj.delete()

    def _organisation(self, line, slug, row, lines):
        given = {c: row[c] for c in ORGANISATION_COLUMNS if c in self.header}
        org = self._existing_org(slug)
        if slug in self.first_row:
            first_line, first_values = self.first_row[slug]
            if not any(given.values()) or given == first_values:
                return org
            different = [c for c in given if given[c] and given[c] != first_values.get(c)]
            raise RowError(
                _(
                    "%(columns)s: differ from line %(line)d for the same slug; repeat them identically or leave "
                    "them empty."
                )
                % {"columns": ", ".join(different or sorted(given)), "line": first_line}
            )
        if org is None and not any(given.get(c) for c in ("name_fr", "name_en")):
            raise RowError(_("name_fr, name_en: missing; give the organisation's name in French or English."))
        if not any(given.values()):
            # Only the slug: the row adds an experience to an organisation already there, unchanged.
            self.report.unchanged["organisation"] += 1
            self.first_row[slug] = (line, given)
            return org

        created = org is None
        if created:
            org = Organisation(slug=slug)
        values = {c: v for c, v in given.items() if c != "competences"}
        if "country" in values:
            values["country"] = values["country"].upper()
        if "published" in values:
            text = values["published"].casefold()
            if text in TRUE or text in FALSE:
                values["published"] = text in TRUE
            elif text:
                raise RowError(_("published: “%(value)s” is neither true nor false.") % {"value": values["published"]})
        for column in KEEP_WHEN_EMPTY:
            if values.get(column) == "":
                del values[column]
        changed = [c for c, v in values.items() if self._current(org, c) != v]
        for column in changed:
            setattr(org, column, values[column])
        if created or changed:
            for column in ("name_fr", "name_en", "description_fr", "description_en"):
                if getattr(org, column) is None:
                    setattr(org, column, "")
            validate(org, columns={"name": "name_fr, name_en", "description": "description_fr"})
            self._save(org)
            self.orgs[slug] = org
            self.absent.discard(slug)
            if created:
                self.experiences[org.pk] = {}  # a new organisation has none yet: no need to ask
            self.report.created["organisation"] += created
            self.report.updated["organisation"] += not created
            lines.append(
                _("organisation %(slug)s: created") % {"slug": slug}
                if created
                else _("organisation %(slug)s: changed %(columns)s") % {"slug": slug, "columns": ", ".join(changed)}
            )
        if "competences" in given:
            self._competences(org, given["competences"], lines)
        if not created and not changed:
            self.report.unchanged["organisation"] += 1
        self.first_row[slug] = (line, given)
        return org

    def _existing_org(self, slug):
        if slug in self.orgs:
            return self.orgs[slug]
        if slug in self.absent:
            return None
        org = Organisation.objects.filter(slug=slug).first()
        if org is not None:
            self.orgs[slug] = org
        return org

    @staticmethod
    def _current(obj, column):
        value = getattr(obj, column)
        if column == "country":
            return value.code if value else ""
        if value is None and column not in ("cost", "end_date"):
            return ""  # a text column never filled in: the same as an empty cell
        return value

    def _sector_list(self, column, value, already=()):
        sectors = []
        for code in split_list(value):
            sector = self.sectors.get(code)
            if sector is None:
                raise RowError(_("%(column)s: unknown OECD sector code “%(code)s”.") % {"column": column, "code": code})
            if sector.withdrawn and sector.pk not in already:
                raise RowError(
                    _("%(column)s: the OECD code %(code)s has been withdrawn; choose a current one.")
                    % {"column": column, "code": code}
                )
            if sector not in sectors:
                sectors.append(sector)
        return sectors

    def _competences(self, org, value, lines):
        existing = {c.sector_id: c for c in org.competences.all()} if org.pk else {}
        wanted = self._sector_list("competences", value, already=existing)
        if [c.sector_id for c in sorted(existing.values(), key=lambda c: (c.rank, c.pk))] == [s.pk for s in wanted]:
            return
        keep = {s.pk for s in wanted}
        for sector_id, competence in existing.items():
            if sector_id not in keep:
                self._delete(competence)
        for rank, sector in enumerate(wanted, start=1):
            competence = existing.get(sector.pk) or Competence(organisation=org, sector=sector)
            competence.rank = rank
            validate(competence, prefix="competences: ", columns={"sector": "competences"})
            self._save(competence)
        getattr(org, "_prefetched_objects_cache", {}).pop("competences", None)
        lines.append(
            _("organisation %(slug)s: competences %(codes)s")
            % {"slug": org.slug, "codes": ", ".join(s.code for s in wanted) or "-"}
        )

    # -- experience ------------------------------------------------------------------------------------

    @staticmethod
    def _key(start_date, title_fr, title_en):
        return start_date, (title_fr or title_en or "").strip().casefold()

    def _experiences_of(self, org):
        if org.pk not in self.experiences:
            found = {}
            if "experiences" in getattr(org, "_prefetched_objects_cache", {}):
                loaded = org.experiences.all()
            else:
                loaded = org.experiences.prefetch_related("sectors", "countries", "fundings")
            for exp in loaded:
                found.setdefault(self._key(exp.start_date, exp.title_fr, exp.title_en), exp)
            self.experiences[org.pk] = found
        return self.experiences[org.pk]

    def _experience(self, org, row, lines):
        start = parse_date("start_date", row.get("start_date"))
        end = parse_date("end_date", row.get("end_date"))
        cost = parse_amount("cost", row.get("cost"))
        fundings = []
        for n in self.funding_numbers:
            donor_text, amount = row.get(f"donor_{n}", ""), parse_amount(f"amount_{n}", row.get(f"amount_{n}"))
            if not donor_text and amount is None:
                continue
            if not donor_text or amount is None:
                raise RowError(
                    _("donor_%(n)d, amount_%(n)d: give both the donor and the amount, or neither.") % {"n": n}
                )
            fundings.append((donor_text, amount))
        if start is None:
            raise RowError(_("start_date: missing; an experience needs its start date (YYYY-MM-DD)."))

        # A column absent from the file leaves the field as it is.
        values = {c: row.get(c, "") for c in EXPERIENCE_TEXT + ["role"] if c in self.header}
        values.update({c: v for c, v in (("cost", cost), ("end_date", end)) if c in self.header})
        experiences = self._experiences_of(org)
        key = self._key(start, values.get("title_fr"), values.get("title_en"))
        exp = experiences.get(key)
        created = exp is None
        if created:
            exp = Experience(organisation=org, start_date=start)
        changed = [c for c, v in values.items() if self._current(exp, c) != v]
        for column in changed:
            setattr(exp, column, values[column])
        with_fundings = bool(self.funding_numbers)
        if with_fundings:
            # The fundings of the row replace the experience's: checked together against the cost, with
            # the rule the forms use; the experience's own check (against stored fundings) steps aside.
            try:
                check_fundings_within_cost(exp.cost, [amount for _donor, amount in fundings])
            except ValidationError as exc:
                raise RowError("cost, amount_*: " + " ".join(exc.messages)) from None
            exp.fundings_checked_by_formset = True
        if created or changed:
            for column in EXPERIENCE_TEXT:
                if getattr(exp, column) is None:
                    setattr(exp, column, "")
            validate(exp, columns={"title": "title_fr, title_en"})
            self._save(exp)
        # Sectors, countries and fundings are replaced by the row's when their columns are in the file.
        if "sectors" in self.header:
            old_sectors = set() if created else {s.pk for s in exp.sectors.all()}
            sectors = self._sector_list("sectors", row.get("sectors", ""), already=old_sectors)
            if {s.pk for s in sectors} != old_sectors:
                exp.sectors.set(sectors)
                changed.append("sectors")
        if "countries" in self.header:
            countries = [code.upper() for code in split_list(row.get("countries", ""))]
            changed += self._countries(exp, countries, created)
        if with_fundings:
            changed += self._fundings(exp, fundings, created)
        if self.participant_numbers:
            changed += self._participants(exp, self._participant_cells(row), created)
        if changed:
            exp._prefetched_objects_cache = {}  # a later row for the same experience reads it afresh
        experiences[key] = exp
        label = {"title": exp.title_fr or exp.title_en, "start": start, "slug": org.slug}
        if created:
            self.report.created["experience"] += 1
            lines.append(_("experience “%(title)s” (%(start)s) of %(slug)s: created") % label)
        elif changed:
            self.report.updated["experience"] += 1
            label["columns"] = ", ".join(changed)
            lines.append(_("experience “%(title)s” (%(start)s) of %(slug)s: changed %(columns)s") % label)
        else:
            self.report.unchanged["experience"] += 1

    def _countries(self, exp, codes, created):
        existing = {} if created else {str(c.country.code): c for c in exp.countries.all()}
        if set(codes) == set(existing):
            return []
        for code, row in existing.items():
            if code not in codes:
                self._delete(row)
        for code in dict.fromkeys(codes):
            if code not in existing:
                country = ExperienceCountry(experience=exp, country=code)
                validate(country, columns={"country": "countries"})
                self._save(country)
        return ["countries"]

    def _fundings(self, exp, fundings, created):
        existing = [] if created else list(exp.fundings.all())
        donors = [(self._donor(text), amount) for text, amount in fundings]
        as_pairs = sorted((d.pk or 0, a) for d, a in donors)
        if all(d.pk for d, _a in donors) and as_pairs == sorted((f.donor_id, f.amount) for f in existing):
            return []
        for funding in existing:
            self._delete(funding)
        for n, (donor, amount) in enumerate(donors, start=1):
            if donor.pk is None:
                validate(donor, prefix=f"donor_{n}: ")
                self._save(donor)
                self._remember_donor(donor)
                self.row_donors.append(donor)
                self.report.created["donor"] += 1
            funding = Funding(experience=exp, donor=donor, amount=amount)
            funding.checked_as_a_set = True  # their sum was checked against the cost with the row
            validate(funding, prefix=f"donor_{n}, amount_{n}: ")
            self._save(funding)
        return ["fundings"]

    def _participant_cells(self, row):
        """[(n, slug or name, role, country, kind)] of the row's participant columns that are filled in."""
        cells = []
        for n in self.participant_numbers:
            given = [row.get(f"participant_{n}{suffix}", "") for suffix in ("", "_role", "_country", "_kind")]
            if any(given):
                cells.append((n, *given))
        check = [(n, text) for n, text, *_rest in cells if not text]
        if check:
            raise RowError(
                _("participant_%(n)d: missing; give the participant's directory slug or name.") % {"n": check[0][0]}
            )
        try:
            check_participants_count(len(cells))
        except ValidationError as exc:
            raise RowError("participant_*: " + " ".join(exc.messages)) from None
        return cells

    def _participants(self, exp, cells, created):
        """The row's participants replace the experience's: a directory organisation by its slug (one of the
        database, or imported earlier in the file), else an organisation not listed, by its name."""
        wanted = []
        for n, text, role, country, kind in cells:
            organisation = self._existing_org(text)
            if organisation is None and SLUG.match(text):
                raise RowError(
                    _(
                        "participant_%(n)d: no organisation of the directory has the slug “%(slug)s” (in the "
                        "database or on an earlier row); for one not listed here, give its name."
                    )
                    % {"n": n, "slug": text}
                )
            if organisation is not None and (country or kind):
                raise RowError(
                    _(
                        "participant_%(n)d_country, participant_%(n)d_kind: only for an organisation not listed "
                        "here; “%(slug)s” is in the directory."
                    )
                    % {"n": n, "slug": text}
                )
            participant = Participant(
                experience=exp, organisation=organisation, name="" if organisation else text, role=role,
                country=country.upper(), kind=kind,
            )  # fmt: skip
            # Each once is checked below over the row's list, which replaces the stored one.
            validate(participant, prefix=f"participant_{n}: ", exclude=["experience"])
            wanted.append((n, participant))
        seen = {}
        for n, participant in wanted:
            key = participant.organisation_id or participant.name.casefold()
            if key in seen:
                raise RowError(
                    _("participant_%(n)d: the same as participant_%(first)d; each participant may be listed once.")
                    % {"n": n, "first": seen[key]}
                )
            seen[key] = n

        def as_rows(participants):
            return sorted(
                (p.organisation_id or 0, p.name, str(p.country.code or ""), p.kind, p.role) for p in participants
            )

        existing = [] if created else list(exp.participants.all())
        if as_rows(existing) == as_rows(p for _n, p in wanted):
            return []
        for participant in existing:
            self._delete(participant)
        for _n, participant in wanted:
            self._save(participant)
        return ["participants"]

    def _donor(self, text):
        """A donor named by acronym or by name (French or English); a new donor when none matches (the
        admin's merge action joins duplicates made by a typo)."""
        return self.donors.get(text.casefold()) or Donor(acronym=text[:50], name_fr=text, name_en="")
