"""Free-text search: the one place that knows how text is matched and ranked, per database.

Public interface (what the search pages call):

- `ranked_ids(q, using="default") -> list[int]`: the ids of ALL organisations matching q, published or not
  (the caller intersects with its criteria), in relevance order: by band (name or acronym match, then
  sector match, then the rest), then rank within the band, then name.
- `suggestion(q, using="default") -> str | None`: q with each word that matches nothing replaced by the most
  similar word of the directory ("ouagadogou" -> "ouagadougou"); None when every word matches, nothing is
  similar enough, or on SQLite.
- `experience_ids(q, using="default") -> list[int]`: the ids of ALL experiences whose own texts match q, by
  the same rules, from their ExperienceSearchEntry (experiences.models): the experiences list's free text.
- `clean_query(q)`: q folded (accents and case) and cut at a word when over-long; the one place that bounds
  a query.

How. Every organisation has a SearchEntry (models.py): an accent-folded document on three lines, one per
band: (1) names and acronym; (2) sectors: codes and names, in both languages, of its competences, their
categories and its experiences' sectors; (3) everything else: city, country and kind in both languages,
descriptions, experiences' titles, objectives, results and countries, donors' names and acronyms. Signals
keep it current on every edit (connect_signals), and the entries of the organisation's experiences with it
(ExperienceSearchEntry, one line: title, objectives, results, sectors, countries); `manage.py
refresh_search` rebuilds all of them. Matching is by word, stemmed in French and in English (a word matches
if either stem does), documents and queries folded by the same function, so "eau" finds "eaux" and never
"Réseau".

- PostgreSQL: websearch_to_tsquery (quotes for a phrase, -word to exclude, "or"), French OR English, on
  three GIN-indexed vectors: the names, the names and sectors, the whole document weighted A/B/C. The band
  is the first vector that matches; within a band, ts_rank of the names-and-sectors vector (small, so
  cheap: ranking by the whole vector read every match's text, 1.5–2.5 s for a common word at 100,000
  organisations). Typos: `suggestion` compares the unknown word with SearchWord (every word of the
  documents) by trigram similarity (pg_trgm).
- SQLite: an FTS5 table (migration 0005) holding the French and the English stems (snowballstemmer) of each
  band, one column per band and language; bm25 within a band. The query keeps the same syntax. The
  experiences' stems are in an FTS5 table of their own (experiences' migration 0005), a column per language.
"""

import json
import re
import threading
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import NamedTuple

import snowballstemmer
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramSimilarity
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, transaction
from django.db.models import Case, F, Func, IntegerField, Lookup, Prefetch, Q, TextField, Value, When
from django.db.models.functions import Collate, Concat
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation
from django_countries import countries

from .models import Competence, Organisation, SearchEntry, SearchWord
from .text import fold

MAX_QUERY_LENGTH = 200  # characters kept from `q`: longer input is cut at a word boundary
MAX_SUGGESTED_WORDS = 8  # suggestion(): words looked up, each one or two indexed queries

_WORD = re.compile(r"\w+")
_LONE_DASHES = re.compile(r"-+(?!\w)")
_DASHES = re.compile(r"-{2,}")


def clean_query(q):
    """The folded query, cut sensibly: a pasted 5,000-character text is not a search."""
    # A "-" excludes the word it starts; one that starts none excludes nothing, and many of them overflow
    # PostgreSQL's websearch parser ("tsquery stack too small": a 500). "--word" is "-word".
    q = _LONE_DASHES.sub(" ", _DASHES.sub("-", fold(q)))
    if len(q) > MAX_QUERY_LENGTH:
        q = q[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] if " " in q[:MAX_QUERY_LENGTH] else q[:MAX_QUERY_LENGTH]
    return q


# --- the document -----------------------------------------------------------------------------------


@cache
def _in_both_languages(kind, code):
    """(French, English) name of a country code or organisation kind."""
    names = []
    for language in ("fr", "en"):
        with translation.override(language):
            names.append(str(countries.name(code) if kind == "country" else Organisation.Kind(code).label))
    return names


def _sector_text(sector, with_category):
    parts = [sector.code, sector.name_fr, sector.name_en]
    if with_category:
        parts += [sector.category.code, sector.category.name_fr, sector.category.name_en]
    return parts


def build_document(organisation):
    """The three lines of an organisation's document (see the module's docstring).

    Reads competences (with sector and category), experiences, and each experience's sectors, countries and
    fundings (with donor) through .all(): prefetch them in bulk (refresh_search_documents does)."""
    names = [organisation.name_fr, organisation.name_en, organisation.acronym]
    sectors = []
    for competence in organisation.competences.all():
        sectors += _sector_text(competence.sector, with_category=True)
    rest = [organisation.city]
    if organisation.country:
        rest += _in_both_languages("country", organisation.country.code)
    if organisation.kind in Organisation.Kind.values:
        rest += _in_both_languages("kind", organisation.kind)
    rest += [organisation.description_fr, organisation.description_en]
    places, donors = [], []
    for experience in organisation.experiences.all():
        rest += _experience_texts(experience)
        for sector in experience.sectors.all():
            sectors += _sector_text(sector, with_category=False)
        for place in experience.countries.all():
            places += _in_both_languages("country", place.country.code)
        for funding in experience.fundings.all():
            donors += [funding.donor.name_fr, funding.donor.name_en, funding.donor.acronym]
    # A sector, country or donor named several times is written once.
    return "\n".join(_line(parts) for parts in (names, sectors, rest + places + donors))


def _experience_texts(experience):
    return [
        experience.title_fr,
        experience.title_en,
        experience.objectives_fr,
        experience.objectives_en,
        experience.results_fr,
        experience.results_en,
    ]


def build_experience_document(experience):
    """An experience's document, one line: its title, objectives and results, its sectors' codes and names,
    its countries' names, in both languages. Reads sectors and countries through .all() (prefetched)."""
    parts = _experience_texts(experience)
    for sector in experience.sectors.all():
        parts += _sector_text(sector, with_category=False)
    for place in experience.countries.all():
        parts += _in_both_languages("country", place.country.code)
    return _line(parts)


def _line(parts):
    return " ".join(dict.fromkeys(text for text in map(fold, parts) if text))


def _with_related(queryset):
    from experiences.models import Experience, ExperienceCountry, Funding

    from .models import Sector

    return queryset.prefetch_related(
        Prefetch("competences", queryset=Competence.objects.select_related("sector__category").order_by("rank", "pk")),
        Prefetch("experiences", queryset=Experience.objects.select_related("search_entry").order_by("pk")),
        Prefetch("experiences__sectors", queryset=Sector.objects.order_by("code")),
        Prefetch("experiences__countries", queryset=ExperienceCountry.objects.order_by("pk")),
        Prefetch("experiences__fundings", queryset=Funding.objects.select_related("donor").order_by("pk")),
    )


def refresh_search_documents(queryset, batch_size=500, create=True, force=False):
    """Recompute the search entries of these organisations and of their experiences, in batches (a few
    queries per batch).

    Writes only entries whose text changed (an upsert): no history entry, no `updated`/`version` change.
    create=False only updates existing organisations' entries: an experience deleted along with its
    organisation must not bring back the entry the same cascade deletes. force=True writes every entry,
    changed or not (after a change of how entries are indexed). Returns how many organisations' entries were
    written."""
    organisations = _with_related(queryset.order_by("pk").select_related("search_entry"))
    changed, experiences, count = {}, {}, 0
    for organisation in organisations.iterator(chunk_size=batch_size):
        stored = _stored_document(organisation)
        if stored is None and not create:
            continue
        document = build_document(organisation)
        if force or document != stored:
            changed[organisation.pk] = document
        for experience in organisation.experiences.all():
            document = build_experience_document(experience)
            if force or document != _stored_document(experience):
                experiences[experience.pk] = document
        if len(changed) + len(experiences) >= batch_size:
            count += _save_entries(changed, queryset.db)
            _save_experience_entries(experiences, queryset.db)
            changed, experiences = {}, {}
    _save_experience_entries(experiences, queryset.db)
    return count + _save_entries(changed, queryset.db)


def _stored_document(row):
    """The document of an organisation's or experience's search entry; None without one."""
    try:
        return row.search_entry.document
    except ObjectDoesNotExist:
        return None


def _save_entries(documents, using):
    """Write {organisation id: document}: the entries, then what each database searches."""
    if not documents:
        return 0
    SearchEntry.objects.using(using).bulk_create(
        [
            SearchEntry(organisation_id=pk, document=document, names=document.split("\n", 1)[0][:100])
            for pk, document in documents.items()
        ],
        update_conflicts=True,
        unique_fields=["organisation"],
        update_fields=["document", "names"],
    )
    vendor = connections[using].vendor
    if vendor == "postgresql":
        _write_vectors(documents, using)
        SearchWord.objects.using(using).bulk_create(
            [SearchWord(word=word) for word in sorted(_words(documents.values()))], ignore_conflicts=True
        )
    elif vendor == "sqlite":
        _write_fts(documents, using, _FTS_DELETE, _FTS_INSERT, bands=3)
    return len(documents)


def _save_experience_entries(documents, using):
    """Write {experience id: document}: the entries, then what each database searches."""
    from experiences.models import ExperienceSearchEntry

    if not documents:
        return
    entries = ExperienceSearchEntry.objects.using(using)
    entries.bulk_create(
        [ExperienceSearchEntry(experience_id=pk, document=document) for pk, document in documents.items()],
        update_conflicts=True,
        unique_fields=["experience"],
        update_fields=["document"],
    )
    vendor = connections[using].vendor
    if vendor == "postgresql":
        entries.filter(pk__in=list(documents)).update(vector=_stems(F("document")))
    elif vendor == "sqlite":
        _write_fts(documents, using, _EXPERIENCE_FTS_DELETE, _EXPERIENCE_FTS_INSERT, bands=1)


def _words(documents):
    """The words a typo may be corrected to: letters, 3 to 100 of them."""
    return {
        word for document in documents for word in _WORD.findall(document) if 3 <= len(word) <= 100 and word.isalpha()
    }


# --- PostgreSQL -------------------------------------------------------------------------------------

CONFIGS = ("french", "english")


def _document_line(number):
    return Func(F("document"), Value("\n"), Value(number), function="split_part", output_field=TextField())


def _stems(expression, weight=None):
    """French and English stems of a text expression, as one tsvector."""
    french, english = (SearchVector(expression, config=config, weight=weight) for config in CONFIGS)
    return french + english


def _write_vectors(documents, using):
    names, sectors, rest = (_document_line(n) for n in (1, 2, 3))
    SearchEntry.objects.using(using).filter(pk__in=list(documents)).update(
        name_vector=_stems(names),
        sector_vector=_stems(Concat(names, Value(" "), sectors, output_field=TextField())),
        vector=_stems(names, "A") + _stems(sectors, "B") + _stems(rest, "C"),
    )


def _pg_query(q, search_type="websearch"):
    french, english = (SearchQuery(q, config=config, search_type=search_type) for config in CONFIGS)
    return french | english


@contextmanager
def _indexes_only(using):
    """No sequential scan for the statements run inside (see _ranked_postgresql); SET LOCAL lasts until the
    end of the transaction, so inside the caller's own transaction the setting is restored at once."""
    connection = connections[using]
    caller_transaction = connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield
        if caller_transaction:
            cursor.execute("SET LOCAL enable_seqscan = on")


def _ranked_postgresql(q, using):
    """Each band's ids come from its GIN index (no vector read), and so does the whole match, which the
    planner would rather read row by row when a word is common: it does not count that checking a row means
    fetching its vector from out-of-row storage (10x slower at 100,000 organisations). Hence no sequential
    scan for this one statement, and ts_rank only for the matches of the names (small vectors)."""
    query = _pg_query(q)
    entries = SearchEntry.objects.using(using)
    by_name = Q(pk__in=entries.filter(name_vector=query).values("pk"))
    by_sector = Q(pk__in=entries.filter(sector_vector=query).values("pk"))
    ranked = (
        entries.filter(vector=query)
        .annotate(
            band=Case(When(by_name, then=Value(0)), When(by_sector, then=Value(1)), default=Value(2)),
            rank=Case(When(by_name, then=SearchRank(F("name_vector"), query)), default=Value(0.0)),
        )
        .order_by("band", "-rank", Collate("names", "C"), "pk")  # folded text: byte order is enough
        .values_list("pk", flat=True)  # the band orders, it is not read: no conversion of 76,000 values
    )
    with _indexes_only(using):
        return list(ranked)


def suggestion(q, using="default"):
    """q with its unknown words replaced by the most similar known ones (see the module's docstring)."""
    q = clean_query(q)
    if not q or connections[using].vendor != "postgresql":
        return None
    entries, words = SearchEntry.objects.using(using), SearchWord.objects.using(using)
    corrected, changed = [], False
    for word in q.split()[:MAX_SUGGESTED_WORDS]:
        bare = word.strip('"-')
        if bare.isalpha() and not _matches_something(entries, bare):
            similar = (
                words.filter(word__trigram_similar=bare)
                .annotate(similarity=TrigramSimilarity("word", bare))
                .order_by("-similarity", "word")
                .values_list("word", flat=True)
                .first()
            )
            if similar:
                word, changed = word.replace(bare, similar), True
        corrected.append(word)
    return " ".join(corrected) if changed else None


def _matches_something(entries, word):
    # Through the index: with LIMIT 1 and a word found nowhere, the planner would read every row (1 s at
    # 100,000 organisations).
    with _indexes_only(entries.db):
        return entries.filter(vector=_pg_query(word, "plain")).exists()


def rebuild_search_words(using="default"):
    """PostgreSQL: make SearchWord exactly the words of the current documents (edits only ever add words).
    Returns how many there are."""
    if connections[using].vendor != "postgresql":
        return 0
    documents = SearchEntry.objects.using(using).values_list("document", flat=True)
    words = sorted(_words(documents.iterator(chunk_size=2000)))
    with transaction.atomic(using=using):
        SearchWord.objects.using(using).all().delete()
        SearchWord.objects.using(using).bulk_create([SearchWord(word=word) for word in words], batch_size=5000)
    return len(words)


# --- SQLite -----------------------------------------------------------------------------------------

FTS_COLUMNS = [(f"names_{lang}", f"sectors_{lang}", f"rest_{lang}") for lang in ("fr", "en")]
_FTS_DELETE = "DELETE FROM institutions_searchentry_fts WHERE rowid = %s"
_FTS_INSERT = (
    "INSERT INTO institutions_searchentry_fts "
    "(rowid, names_fr, sectors_fr, rest_fr, names_en, sectors_en, rest_en) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
EXPERIENCE_FTS_COLUMNS = [("text_fr",), ("text_en",)]
_EXPERIENCE_FTS_DELETE = "DELETE FROM experiences_experiencesearchentry_fts WHERE rowid = %s"
_EXPERIENCE_FTS_INSERT = (
    "INSERT INTO experiences_experiencesearchentry_fts (rowid, text_fr, text_en) VALUES (%s, %s, %s)"
)
# Joined with the entries, as _FTS_RANKED is: a row a bulk delete left behind (generate_directory --clear) is
# not a match.
_EXPERIENCE_FTS_MATCH = (
    "SELECT experiences_experiencesearchentry_fts.rowid FROM experiences_experiencesearchentry_fts "
    "JOIN experiences_experiencesearchentry "
    "ON experiences_experiencesearchentry.experience_id = experiences_experiencesearchentry_fts.rowid "
    "WHERE experiences_experiencesearchentry_fts MATCH %s"
)
# Band: 0 when the query matches the names, 1 when it matches names and sectors, else 2; then bm25 (lower
# is better; names weigh most), then the document (whose first line is the names).
_FTS_RANKED = (
    "SELECT institutions_searchentry_fts.rowid, CASE "
    "WHEN institutions_searchentry_fts.rowid IN "
    "(SELECT rowid FROM institutions_searchentry_fts WHERE institutions_searchentry_fts MATCH %s) THEN 0 "
    "WHEN institutions_searchentry_fts.rowid IN "
    "(SELECT rowid FROM institutions_searchentry_fts WHERE institutions_searchentry_fts MATCH %s) THEN 1 "
    "ELSE 2 END AS band "
    "FROM institutions_searchentry_fts "
    "JOIN institutions_searchentry ON institutions_searchentry.organisation_id = institutions_searchentry_fts.rowid "
    "WHERE institutions_searchentry_fts MATCH %s "
    "ORDER BY band, bm25(institutions_searchentry_fts, 10.0, 3.0, 1.0, 10.0, 3.0, 1.0), "
    "institutions_searchentry.document, institutions_searchentry_fts.rowid"
)
_local = threading.local()  # snowball stemmers keep state between calls: one per thread


def _stemmers():
    if not hasattr(_local, "stemmers"):
        _local.stemmers = [snowballstemmer.stemmer(language) for language in CONFIGS]
    return _local.stemmers


@lru_cache(maxsize=50_000)
def _word_stems(word):
    """(French stem, English stem) of a folded word. The same words come back in every document and on every
    save of an organisation, and stemming is pure: each word is stemmed once per process (≈ 10 MB at most)."""
    return tuple(stemmer.stemWord(word) for stemmer in _stemmers())


def _stemmed(words):
    """([French stems], [English stems]) of folded words."""
    stems = [_word_stems(word) for word in words]
    return tuple([pair[language] for pair in stems] for language in range(len(CONFIGS)))


def _write_fts(documents, using, delete, insert, bands):
    """The FTS5 rows of these documents of `bands` lines: each line's French stems, then each one's English."""
    rows = []
    for pk, document in documents.items():
        lines = (document.split("\n") + [""] * bands)[:bands]
        french, english = zip(*(_stemmed(_WORD.findall(line)) for line in lines), strict=True)
        rows.append((pk, *(" ".join(stems) for stems in french), *(" ".join(stems) for stems in english)))
    with connections[using].cursor() as cursor:
        cursor.executemany(delete, [(pk,) for pk in documents])
        cursor.executemany(insert, rows)


class _Term(NamedTuple):
    words: list  # one word, or a quoted phrase's words
    excluded: bool


_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def _terms(q):
    """q read as websearch_to_tsquery reads it: groups separated by "or", each a list of _Terms."""
    groups = [[]]
    for minus, phrase, minus_word, word in _TERM.findall(q):
        if word == "or" and groups[-1]:
            groups.append([])
            continue
        words = _WORD.findall(phrase if phrase or not word else word)
        if words:
            groups[-1].append(_Term(words, bool(minus or minus_word)))
    return groups


def _fts_query(groups, bands, table_columns=FTS_COLUMNS):
    """The FTS5 query of these groups, positive terms looked for in the first `bands` bands only (columns of
    each language, by band: FTS_COLUMNS or EXPERIENCE_FTS_COLUMNS)."""

    def columns(lang):
        return " ".join(table_columns[lang][:bands])

    def term(words):
        french, english = _stemmed(words)
        return f'({{{columns(0)}}} : "{" ".join(french)}" OR {{{columns(1)}}} : "{" ".join(english)}")'

    def excluded(words):
        french, english = _stemmed(words)
        every = " ".join(table_columns[0] + table_columns[1])
        return f'({{{every}}} : "{" ".join(french)}" OR {{{every}}} : "{" ".join(english)}")'

    parts = []
    for group in groups:
        required = [term(t.words) for t in group if not t.excluded]
        if required:
            unwanted = [excluded(t.words) for t in group if t.excluded]
            parts.append(" NOT ".join([f"({' AND '.join(required)})", *unwanted]))
    return " OR ".join(f"({part})" for part in parts)


def _ranked_sqlite(q, using):
    groups = _terms(q)
    query = _fts_query(groups, 3)
    if not query:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(_FTS_RANKED, [_fts_query(groups, 1), _fts_query(groups, 2), query])
        return [pk for pk, _band in cursor.fetchall()]


# --- searching --------------------------------------------------------------------------------------


_JOINED = re.compile(r"(?<=\w)-(?=\w)")  # "Saint-Fictif", "ANE-AL"; not the "-" of "-word"


def ranked_ids(q, using="default"):
    """Ids of every organisation matching q, most relevant first (see the module's docstring). A hyphenated
    word is looked for as its words: PostgreSQL would otherwise want the whole compound ("saint-fictif" is not
    in "saint-fictif-des-pres")."""
    q = _JOINED.sub(" ", clean_query(q))
    if not _looks_for_something(q):
        return []
    if connections[using].vendor == "postgresql":
        return _ranked_postgresql(q, using)
    return _ranked_sqlite(q, using)


def _looks_for_something(q):
    """Whether q names a word to find: "-eau" alone only excludes, and finds nothing on either database
    (PostgreSQL would match every document without it, SQLite's FTS5 nothing)."""
    return any(not term.excluded for group in _terms(q) for term in group)


def experience_ids(q, using="default"):
    """Ids of every experience whose own texts match q (its ExperienceSearchEntry), published or not (the
    caller keeps the listed ones), as ranked_ids matches an organisation's document, in no order."""
    from experiences.models import ExperienceSearchEntry

    q = _JOINED.sub(" ", clean_query(q))
    if not _looks_for_something(q):
        return []
    if connections[using].vendor == "postgresql":
        matching = ExperienceSearchEntry.objects.using(using).filter(vector=_pg_query(q))
        with _indexes_only(using):  # as _ranked_postgresql: a common word is still read from the index
            return list(matching.values_list("pk", flat=True))
    with connections[using].cursor() as cursor:
        cursor.execute(_EXPERIENCE_FTS_MATCH, [_fts_query(_terms(q), 1, EXPERIENCE_FTS_COLUMNS)])
        return [pk for (pk,) in cursor.fetchall()]


# --- keeping it up to date --------------------------------------------------------------------------


def _refresh(organisations, create=False):
    refresh_search_documents(organisations, create=create)


def _refresh_ids(ids, create=False):
    ids = [pk for pk in ids if pk]
    if ids:
        _refresh(Organisation.objects.filter(pk__in=ids), create=create)


def _organisation_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _refresh_ids([instance.pk], create=True)


def _organisation_deleted(sender, instance, **kwargs):
    if connections[instance._state.db].vendor == "sqlite":
        with connections[instance._state.db].cursor() as cursor:
            cursor.execute(_FTS_DELETE, [instance.pk])


def _experience_deleted(sender, instance, **kwargs):
    """Its entry, and on SQLite its FTS5 row. The cascade deleted the entry already, but the signals of the
    experience's countries and fundings, deleted by the same cascade before it, may have written it again
    (they refresh its organisation's entries while the experience still exists)."""
    from experiences.models import ExperienceSearchEntry

    using = instance._state.db
    ExperienceSearchEntry.objects.using(using).filter(pk=instance.pk).delete()
    if connections[using].vendor == "sqlite":
        with connections[using].cursor() as cursor:
            cursor.execute(_EXPERIENCE_FTS_DELETE, [instance.pk])


def _of_organisation(sender, instance, raw=False, **kwargs):
    """A competence or experience changed: its organisation's entry."""
    if not raw:
        _refresh_ids([instance.organisation_id])


def _of_experience(sender, instance, raw=False, **kwargs):
    """A funding or experience country changed: the entry of the experience's organisation. On a cascade
    delete the experience may already be gone: then there is nothing to refresh."""
    from experiences.models import Experience

    if raw:
        return
    _refresh_ids(Experience.objects.filter(pk=instance.experience_id).values_list("organisation_id", flat=True))


def _experience_sectors_changed(sender, instance, action, reverse, pk_set, **kwargs):
    from experiences.models import Experience

    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _refresh_ids([instance.organisation_id])
    elif pk_set:
        _refresh_ids(Experience.objects.filter(pk__in=pk_set).values_list("organisation_id", flat=True))


def _donor_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:  # a new donor, sector or category names no organisation yet
        return
    _refresh(Organisation.objects.filter(experiences__fundings__donor=instance).distinct())


def _sector_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    if raw or created:
        return
    if update_fields is not None and set(update_fields) <= {"withdrawn"}:
        return  # withdrawing a code changes no text
    using = Organisation.objects.filter(Q(competences__sector=instance) | Q(experiences__sectors=instance))
    _refresh(using.distinct())


def _category_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    if raw or created:
        return
    if update_fields is not None and set(update_fields) <= {"withdrawn"}:
        return
    _refresh(Organisation.objects.filter(competences__sector__category=instance).distinct())


def connect_signals():
    """Called from InstitutionsConfig.ready(). A raw save (loaddata: the database may be half loaded) refreshes
    nothing, as for the facet values: whoever loads a fixture runs manage.py refresh_search after it."""
    from experiences.models import Donor, Experience, ExperienceCountry, Funding

    from .models import Sector, SectorCategory

    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="search_org_saved")
    post_delete.connect(_organisation_deleted, sender=Organisation, dispatch_uid="search_org_deleted")
    for model in (Competence, Experience):
        post_save.connect(_of_organisation, sender=model, dispatch_uid=f"search_{model.__name__}_saved")
        post_delete.connect(_of_organisation, sender=model, dispatch_uid=f"search_{model.__name__}_deleted")
    for model in (Funding, ExperienceCountry):
        post_save.connect(_of_experience, sender=model, dispatch_uid=f"search_{model.__name__}_saved")
        post_delete.connect(_of_experience, sender=model, dispatch_uid=f"search_{model.__name__}_deleted")
    post_delete.connect(_experience_deleted, sender=Experience, dispatch_uid="search_experience_fts_deleted")
    m2m_changed.connect(
        _experience_sectors_changed, sender=Experience.sectors.through, dispatch_uid="search_exp_sectors"
    )
    post_save.connect(_donor_saved, sender=Donor, dispatch_uid="search_donor_saved")
    post_save.connect(_sector_saved, sender=Sector, dispatch_uid="search_sector_saved")
    post_save.connect(_category_saved, sender=SectorCategory, dispatch_uid="search_category_saved")


# --- what the current search page calls (until the new engine replaces it) ---------------------------


@IntegerField.register_lookup
class Among(Lookup):
    """`pk__among=[ids]`: the column is one of a list of any length, sent as ONE parameter (an array on
    PostgreSQL, JSON on SQLite). `pk__in` sends one parameter per id, and PostgreSQL refuses more than
    65,535 of them; a common word matches more organisations than that at 100,000."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        ids = self.parameter(self.rhs, connection)
        if connection.vendor == "postgresql":
            # A semi-join on the unnested ids (hashed): "= ANY(array)" is checked element by element per row.
            return f"{lhs} IN (SELECT unnest(%s::bigint[]))", (*params, ids)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, ids)

    @staticmethod
    def parameter(ids, connection):
        """The one parameter that carries the ids."""
        ids = [int(pk) for pk in ids]
        return ids if connection.vendor == "postgresql" else json.dumps(ids)
