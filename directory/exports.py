"""Open data exports: the organisations matching a search, or their experiences (actions), as CSV, Excel
(XLSX) and JSON, labels in the request's language.

Two ways, so that an export always finishes, is never cut short, and never holds a worker for long:

- A search matching at most settings.EXPORT_STREAM_LIMIT rows is exported on demand (`export`): the ids
  are read first, so the number of rows is known before the first byte (sent as X-Row-Count), then the
  rows in chunks of plain values (a fixed number of queries per chunk, no model instances).
- The whole directory is served from files (`download`) that `manage.py build_exports` writes after each
  change (directory/export_files.py), with Last-Modified, ETag and a gzip copy. A search matching more
  rows than the limit gets a page that offers those files or asks to narrow the search.
"""

import csv
import json
import re
import tempfile
from collections import defaultdict

from django.conf import settings
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import condition
from django_countries import countries
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from experiences.models import Donor, Experience, ExperienceCountry, Funding
from institutions.models import PROFILE_FIELDS, Competence, Organisation, Sector

from . import export_files
from .criteria import experience_counts, in_language
from .experience_views import experience_search
from .limits import limit_expensive
from .views import organisation_search

CHUNK_SIZE = 1000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

ORGANISATION_COLUMNS = [
    "slug", "url", "name_fr", "name_en", "acronym", "kind", "kind_label", "street", "zip_code", "city",
    "country", "country_name", "website", "email", "telephone", "fax", "competences", "competence_labels",
    "experiences", "updated",
]  # fmt: skip
EXPERIENCE_COLUMNS = [
    "id", "organisation", "organisation_name", "organisation_url", "title_fr", "title_en", "role",
    "role_label", "start_date", "end_date", "cost", "countries", "country_names", "sectors", "sector_labels",
    "fundings",
]  # fmt: skip


def matching_organisations(request):
    """The published organisations matching the request's criteria, as a queryset in the search page's
    order: the exports' only dependency on the search engine."""
    return organisation_search(request).qs


# --- rows: plain values read in chunks, then labelled in one language ----------------------------------


def _chunks(ids):
    for start in range(0, len(ids), CHUNK_SIZE):
        yield ids[start : start + CHUNK_SIZE]


class Labels:
    """Everything a row shows in `language` that is not in its own table: names of kinds, roles,
    countries, sectors and donors, and the profile address (read once per export, not per row)."""

    def __init__(self, language, base_url, donors=False):
        self.language = language
        with translation.override(language):
            self.kinds = {value: str(label) for value, label in Organisation.Kind.choices}
            self.roles = {value: str(label) for value, label in Experience.Role.choices}
            self.countries = {code: str(name) for code, name in countries}
            profile = reverse("directory:profile", kwargs={"slug": "-slug-"}).replace("-slug-", "{}")
        self.profile_url = base_url + profile
        self.sectors = {
            code: in_language((fr, en), language)
            for code, fr, en in Sector.objects.values_list("code", "name_fr", "name_en")
        }
        self.donors = {}
        if donors:
            names = Donor.objects.values_list("pk", "name_fr", "name_en")
            self.donors = {pk: in_language((fr, en), language) for pk, fr, en in names}


class Organisations:
    name = "organisations"
    columns = ORGANISATION_COLUMNS
    needs_donors = False
    fields = ["pk", "slug", "name_fr", "name_en", *PROFILE_FIELDS, "updated"]

    @staticmethod
    def ids(organisations, limit=None):
        ids = organisations.values_list("pk", flat=True)
        return list(ids[:limit] if limit is not None else ids)

    def rows(self, ids):
        """Plain values of these organisations, in this order: three queries per chunk."""
        for chunk in _chunks(ids):
            found = {row["pk"]: row for row in Organisation.objects.filter(pk__in=chunk).values(*self.fields)}
            competences = defaultdict(list)
            ranked = Competence.objects.filter(organisation_id__in=chunk).order_by("organisation_id", "rank", "id")
            for organisation_id, code in ranked.values_list("organisation_id", "sector__code"):
                competences[organisation_id].append(code)
            counts = experience_counts(chunk)
            for pk in chunk:
                if pk in found:
                    yield {**found[pk], "competences": competences[pk], "experiences": counts.get(pk, 0)}

    @staticmethod
    def record(row, labels):
        return {
            "slug": row["slug"],
            "url": labels.profile_url.format(row["slug"]),
            "name_fr": row["name_fr"] or "",
            "name_en": row["name_en"] or "",
            "acronym": row["acronym"],
            "kind": row["kind"],
            "kind_label": labels.kinds.get(row["kind"], ""),
            "street": row["street"],
            "zip_code": row["zip_code"],
            "city": row["city"],
            "country": row["country"],
            "country_name": labels.countries.get(row["country"], ""),
            "website": row["website"],
            "email": row["email"],
            "telephone": row["telephone"],
            "fax": row["fax"],
            "competences": row["competences"],
            "competence_labels": [labels.sectors.get(code, "") for code in row["competences"]],
            "experiences": row["experiences"],
            "updated": row["updated"].isoformat(),
        }


class Experiences:
    """One row per experience of the matching organisations, with its organisation, countries, sectors,
    cost and fundings; by organisation (in the search's order), then start date."""

    name = "experiences"
    columns = EXPERIENCE_COLUMNS
    needs_donors = True
    fields = ["pk", "organisation__slug", "organisation__name_fr", "organisation__name_en", "title_fr",
              "title_en", "role", "start_date", "end_date", "cost"]  # fmt: skip

    @staticmethod
    def ids(organisations, limit=None):
        """The experiences' ids, organisation by organisation; stops reading once past `limit`."""
        ids = []
        for chunk in _chunks(Organisations.ids(organisations)):
            by_organisation = defaultdict(list)
            listed = Experience.objects.filter(organisation_id__in=chunk).order_by("start_date", "pk")
            for organisation_id, pk in listed.values_list("organisation_id", "pk"):
                by_organisation[organisation_id].append(pk)
            ids += [pk for organisation_id in chunk for pk in by_organisation[organisation_id]]
            if limit is not None and len(ids) >= limit:
                return ids[:limit]
        return ids

    def rows(self, ids):
        """Plain values of these experiences, in this order: four queries per chunk."""
        for chunk in _chunks(ids):
            found = {row["pk"]: row for row in Experience.objects.filter(pk__in=chunk).values(*self.fields)}
            countries_of, sectors_of, fundings_of = defaultdict(list), defaultdict(list), defaultdict(list)
            places = ExperienceCountry.objects.filter(experience_id__in=chunk).order_by("country")
            for experience_id, code in places.values_list("experience_id", "country"):
                countries_of[experience_id].append(code)
            links = Experience.sectors.through.objects.filter(experience_id__in=chunk).order_by("sector__code")
            for experience_id, code in links.values_list("experience_id", "sector__code"):
                sectors_of[experience_id].append(code)
            fundings = Funding.objects.filter(experience_id__in=chunk).order_by("pk")
            for experience_id, donor_id, amount in fundings.values_list("experience_id", "donor_id", "amount"):
                fundings_of[experience_id].append((donor_id, amount))
            for pk in chunk:
                if pk in found:
                    yield {
                        **found[pk],
                        "countries": countries_of[pk],
                        "sectors": sectors_of[pk],
                        "fundings": fundings_of[pk],
                    }

    @staticmethod
    def record(row, labels):
        slug = row["organisation__slug"]
        return {
            "id": row["pk"],
            "organisation": slug,
            "organisation_name": in_language(
                (row["organisation__name_fr"], row["organisation__name_en"]), labels.language
            ),
            "organisation_url": labels.profile_url.format(slug),
            "title_fr": row["title_fr"] or "",
            "title_en": row["title_en"] or "",
            "role": row["role"],
            "role_label": labels.roles.get(row["role"], ""),
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "cost": row["cost"],
            "countries": row["countries"],
            "country_names": [labels.countries.get(code, "") for code in row["countries"]],
            "sectors": row["sectors"],
            "sector_labels": [labels.sectors.get(code, "") for code in row["sectors"]],
            "fundings": [
                {"donor": labels.donors.get(donor, ""), "amount": amount} for donor, amount in row["fundings"]
            ],
        }


DATASETS = {kind.name: kind() for kind in (Organisations, Experiences)}


def records(dataset, ids, labels):
    for row in dataset.rows(ids):
        yield dataset.record(row, labels)


# --- formats ---------------------------------------------------------------------------------------


# A value made only of digits and the punctuation of telephone numbers, with at most a leading "+", is
# a number, not a formula: "+33 1 23 45 67 89" stays as it is.
NUMBER_SHAPED = re.compile(r"\+?[0-9][0-9 .()/-]*")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value):
    """A cell's text: lists joined with " | ", fundings as "donor: amount", nothing for None."""
    if isinstance(value, list):
        return " | ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return f"{value['donor']}: {value['amount']}"
    return "" if value is None else str(value)


def spreadsheet_text(value):
    """A CSV cell that no spreadsheet runs as a formula: one starting like a formula gets a leading
    apostrophe (which spreadsheets read as "this is text"), unless it is number-shaped."""
    text = _text(value)
    if text.startswith(FORMULA_STARTS) and not NUMBER_SHAPED.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    """csv.writer writes into this and gets the line back, so each row can be yielded."""

    def write(self, value):
        return value


# UTF-8 with a byte order mark, so spreadsheets read it as UTF-8.
CSV_BOM = "\ufeff"


def csv_writer(target):
    """Every field quoted: a ";" in a value stays inside its cell in a spreadsheet that splits on ";"
    (French Excel), where an unquoted one would start a new cell (and maybe a formula)."""
    return csv.writer(target, quoting=csv.QUOTE_ALL)


def csv_cells(columns, row):
    return [spreadsheet_text(row[column]) for column in columns]


def csv_lines(columns, rows):
    writer = csv_writer(_Echo())
    yield CSV_BOM + writer.writerow(columns)
    for row in rows:
        yield writer.writerow(csv_cells(columns, row))


def json_item(row):
    # Amounts (Decimal) and dates as strings: "1100000.00", "2010-01-31".
    return json.dumps(row, ensure_ascii=False, default=str)


def json_chunks(rows):
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + "\n" + json_item(row)
    yield "\n]\n"


def _xlsx_value(sheet, value):
    if isinstance(value, (list, dict)):
        value = _text(value)
    if not isinstance(value, str):
        return value  # numbers, amounts and dates stay numbers and dates
    value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters are not allowed in the file
    if value.startswith("="):
        # openpyxl would write it as a formula: a text cell instead, shown exactly as typed.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value  # text cells are text: Excel never runs them


class XlsxWriter:
    """An Excel workbook, one sheet, written as rows come (openpyxl's write-only mode keeps memory flat)."""

    def __init__(self, columns):
        self.columns = columns
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet()
        self.sheet.append(columns)

    def add(self, row):
        self.sheet.append([_xlsx_value(self.sheet, row[column]) for column in self.columns])

    def save(self, target):
        self.workbook.save(target)


# --- views -----------------------------------------------------------------------------------------


def _attachment(response, dataset, fmt, rows):
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}.{fmt}"'
    response["X-Row-Count"] = str(rows)
    return response


def _stream(request, dataset, fmt, ids):
    labels = Labels(translation.get_language(), request.build_absolute_uri("/").rstrip("/"), dataset.needs_donors)
    rows = records(dataset, ids, labels)
    if fmt == "xlsx":
        # A workbook is a zip file, written whole: it goes through a temporary file (bounded: ≤ the limit).
        workbook = XlsxWriter(dataset.columns)
        for row in rows:
            workbook.add(row)
        target = tempfile.TemporaryFile()
        workbook.save(target)
        target.seek(0)
        return _attachment(FileResponse(target, content_type=FORMATS[fmt]), dataset, fmt, len(ids))
    chunks = csv_lines(dataset.columns, rows) if fmt == "csv" else json_chunks(rows)
    return _attachment(StreamingHttpResponse(chunks, content_type=FORMATS[fmt]), dataset, fmt, len(ids))


def _whole_directory(organisations):
    return organisations.count() == Organisation.objects.published().count()


@limit_expensive
def export(request, dataset, fmt):
    """The organisations (or experiences) matching the search: made now when there are at most
    EXPORT_STREAM_LIMIT rows; the whole directory from its file when there is one up to date (or when it
    is too large to make now); otherwise a page saying why there is no file and what to do."""
    dataset = DATASETS[dataset]
    limit = settings.EXPORT_STREAM_LIMIT
    organisations = matching_organisations(request)
    build = export_files.current()
    if build and build.fresh and _whole_directory(organisations):
        return redirect("directory:download", dataset=dataset.name, fmt=fmt)
    ids = dataset.ids(organisations, limit + 1)
    if len(ids) <= limit:
        return _stream(request, dataset, fmt, ids)
    if build and _whole_directory(organisations):  # older than the data, but the only whole copy
        return redirect("directory:download", dataset=dataset.name, fmt=fmt)
    ctx = {"limit": limit, "files": files_for_page(translation.get_language())}
    return render(request, "directory/export_too_large.html", ctx, status=400)


@limit_expensive
def export_experience_list(request, fmt):
    """The experiences list's results, in its order, as the experiences dataset: made now up to
    EXPORT_STREAM_LIMIT rows; the whole directory's file when no criterion narrows the list (as `export`);
    otherwise a page saying why there is no file and what to do."""
    dataset = DATASETS["experiences"]
    limit = settings.EXPORT_STREAM_LIMIT
    filterset = experience_search(request)
    build = export_files.current()
    whole = build is not None and not filterset.criteria_pairs  # every experience: the file has them all
    if whole and build.fresh:
        return redirect("directory:download", dataset=dataset.name, fmt=fmt)
    ids = list(filterset.result_ids()[: limit + 1])
    if len(ids) <= limit:
        return _stream(request, dataset, fmt, ids)
    if whole:  # older than the data, but the only whole copy
        return redirect("directory:download", dataset=dataset.name, fmt=fmt)
    ctx = {"limit": limit, "files": files_for_page(translation.get_language())}
    return render(request, "directory/export_too_large.html", ctx, status=400)


def files_for_page(language):
    """The whole directory's files in `language` for a page: [(dataset, fmt, url, rows)] and their date,
    or None when they have not been written yet."""
    build = export_files.current()
    if build is None:
        return None
    links = [
        {
            "dataset": name,
            "format": fmt,
            "url": reverse("directory:download", kwargs={"dataset": name, "fmt": fmt}),
            "rows": build.rows(name, language, fmt),
        }
        for name in DATASETS
        for fmt in FORMATS
        if build.has(name, language, fmt)
    ]
    return {"built": build.built, "fresh": build.fresh, "links": links}


def accepts_gzip(accept_encoding):
    """True when an Accept-Encoding header allows gzip ("gzip", "gzip;q=0.5"; not "gzip;q=0")."""
    for part in accept_encoding.split(","):
        name, *parameters = part.split(";")
        if name.strip().lower() != "gzip":
            continue
        quality = dict(p.strip().partition("=")[::2] for p in parameters).get("q", "1")
        try:
            return float(quality) > 0
        except ValueError:
            return False
    return False


def _file(request, dataset, fmt):
    """(build, path, gzip?) of the file this request asks for, or None."""
    build = export_files.current()
    language = translation.get_language()
    if dataset not in DATASETS or fmt not in FORMATS or build is None or not build.has(dataset, language, fmt):
        return None
    gzip = accepts_gzip(request.headers.get("Accept-Encoding", "")) and build.has_gzip(dataset, language, fmt)
    return build, build.path(dataset, language, fmt, gzip), gzip


def _etag(request, dataset, fmt):
    found = _file(request, dataset, fmt)
    return found and f"{found[0].stamp}-{found[1].name}"


def _last_modified(request, dataset, fmt):
    found = _file(request, dataset, fmt)
    return found and found[0].built


@limit_expensive
@condition(etag_func=_etag, last_modified_func=_last_modified)
def download(request, dataset, fmt):
    """A whole-directory file, as build_exports wrote it; gzip-compressed for clients that accept it."""
    found = _file(request, dataset, fmt)
    if found is None:
        raise Http404("no such export file")
    build, path, gzip = found
    try:
        file = path.open("rb")
    except FileNotFoundError:  # a build older than the previous one, removed since current() read it
        raise Http404("no such export file") from None
    response = FileResponse(file, content_type=FORMATS[fmt])
    if gzip:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=60"
    response["Content-Disposition"] = f'attachment; filename="{dataset}-{translation.get_language()}.{fmt}"'
    response["X-Row-Count"] = str(build.rows(dataset, translation.get_language(), fmt))
    return response


# --- the whole directory's files (manage.py build_exports) -----------------------------------------


class _TextFile:
    def __init__(self, path):
        self.file = path.open("w", encoding="utf-8", newline="")


class _CsvFile(_TextFile):
    def __init__(self, path, columns):
        super().__init__(path)
        self.columns = columns
        self.file.write(CSV_BOM)
        self.writer = csv_writer(self.file)
        self.writer.writerow(columns)

    def add(self, row):
        self.writer.writerow(csv_cells(self.columns, row))

    def close(self):
        self.file.close()


class _JsonFile(_TextFile):
    def __init__(self, path, columns):
        super().__init__(path)
        self.file.write("[")
        self.separator = ""

    def add(self, row):
        self.file.write(self.separator + "\n" + json_item(row))
        self.separator = ","

    def close(self):
        self.file.write("\n]\n")
        self.file.close()


class _XlsxFile(XlsxWriter):
    def __init__(self, path, columns):
        super().__init__(columns)
        self.path = path

    def close(self):
        self.save(self.path)


FILE_WRITERS = {"csv": _CsvFile, "json": _JsonFile, "xlsx": _XlsxFile}


def build_files(new_build, base_url, progress=None):
    """Write every dataset, in every language and format, into `new_build` (export_files.NewBuild):
    the published organisations by slug, and their experiences. The rows are read once per dataset and
    written to all its files at once."""
    languages = [code for code, _name in settings.LANGUAGES]
    for dataset in DATASETS.values():
        ids = dataset.ids(Organisation.objects.published().order_by("slug"))
        labels = {language: Labels(language, base_url, dataset.needs_donors) for language in languages}
        files = {
            (language, fmt): writer(new_build.path(dataset.name, language, fmt), dataset.columns)
            for language in languages
            for fmt, writer in FILE_WRITERS.items()
        }
        written = 0
        for row in dataset.rows(ids):
            written += 1
            for language in languages:
                record = dataset.record(row, labels[language])
                for fmt in FILE_WRITERS:
                    files[language, fmt].add(record)
            if progress:
                progress(dataset.name)
        for (language, fmt), file in files.items():
            file.close()
            new_build.done(dataset.name, language, fmt, written)
