"""Free-text search: the one place that knows how text is matched, per database.

Every organisation has a SearchEntry (models.py) holding an accent-folded, lower-cased document (names and
acronym on the first line, everything else after it). Queries are folded the same way in Python, so
PostgreSQL needs no unaccent extension and SQLite can match with a plain LIKE.

- PostgreSQL: full-text search with French and English stemming (OR-ed) on the entry's generated `vector`,
  plus pg_trgm word similarity so that a typo ("Ouagadogou") still finds the record when no document holds
  the words themselves.
- Other databases (SQLite): every word must occur in the document.

A search gives ids (TextMatches): the organisations matching, and those matching by name or acronym.
Relevance is "name matches first, then the others, each group by name": predictable, and cheap at any
size. (Ranking every match by ts_rank read the whole vector of every matching organisation: 1.5–2.5 s for
a common word at 100,000 organisations.) The filters call `text_matches` and `restrict` and don't care
which database runs.
"""

import json
import re
import unicodedata
from typing import NamedTuple

from django.contrib.postgres.search import SearchQuery, SearchVectorExact, SearchVectorField
from django.db import connections, transaction
from django.db.models import Case, F, Func, IntegerField, Lookup, Prefetch, TextField, Value, When
from django.db.models.signals import post_delete, post_save

from .models import Organisation, SearchEntry

MAX_QUERY_LENGTH = 200  # characters kept from `q`: longer input is cut at a word boundary
MAX_WORDS = 12  # SQLite: one LIKE per word

# Letters NFKD does not decompose into a base letter plus accents.
_LIGATURES = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "’": "'",
        "‘": "'",
    }
)
_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")


def fold(text):
    """Lower-case, accent-free, single-spaced text: "Décentralisation" -> "decentralisation"."""
    text = unicodedata.normalize("NFKD", str(text or "").translate(_LIGATURES))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _SPACES.sub(" ", text).strip()


def clean_query(q):
    """The folded query, cut sensibly: a pasted 5,000-character text is not a search."""
    q = fold(q)
    if len(q) > MAX_QUERY_LENGTH:
        q = q[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] if " " in q[:MAX_QUERY_LENGTH] else q[:MAX_QUERY_LENGTH]
    return q


# --- the document -----------------------------------------------------------------------------------


def build_document(organisation):
    """Names and acronym on the first line (ranking looks at it), the rest of the text after it.

    Uses organisation.experiences.all() and each experience's fundings.all() (prefetch them in bulk)."""
    experiences = list(organisation.experiences.all())
    donors = [
        (funding.donor.name_fr, funding.donor.name_en, funding.donor.acronym)
        for experience in experiences
        for funding in experience.fundings.all()
    ]
    return document_text(organisation, experiences, donors)


def document_text(organisation, experiences, donors):
    """The document from plain inputs (also unsaved instances: the bulk generator calls this):
    organisation, its experiences, and (name_fr, name_en, acronym) of each funding's donor."""
    head = [organisation.name_fr, organisation.name_en, organisation.acronym]
    body = [organisation.city, organisation.description_fr, organisation.description_en]
    for experience in experiences:
        body += [
            experience.title_fr,
            experience.title_en,
            experience.objectives_fr,
            experience.objectives_en,
            experience.results_fr,
            experience.results_en,
        ]
    # A donor funding several actions is named once.
    body += list(dict.fromkeys(name for donor in donors for name in donor))
    head_text = " ".join(dict.fromkeys(part for part in map(fold, head) if part))
    body_text = " ".join(part for part in map(fold, body) if part)
    return f"{head_text}\n{body_text}"


def refresh_search_documents(queryset, batch_size=500, create=True):
    """Recompute the search entries of these organisations, in batches (a few queries per batch).

    Writes only entries whose text changed (an upsert): no history entry, no `updated`/`version` change.
    create=False only updates existing entries: an experience deleted along with its organisation must
    not bring back the entry the same cascade deletes."""
    from experiences.models import Experience, Funding

    organisations = (
        queryset.order_by("pk")
        .select_related("search_entry")
        .prefetch_related(
            Prefetch("experiences", queryset=Experience.objects.order_by("pk")),
            Prefetch("experiences__fundings", queryset=Funding.objects.select_related("donor").order_by("pk")),
        )
    )
    changed, count = [], 0
    for organisation in organisations.iterator(chunk_size=batch_size):
        stored = _stored_document(organisation)
        if stored is None and not create:
            continue
        document = build_document(organisation)
        if document != stored:
            changed.append(SearchEntry(organisation_id=organisation.pk, document=document))
        if len(changed) >= batch_size:
            count += _save_entries(changed)
            changed = []
    return count + _save_entries(changed)


def _stored_document(organisation):
    try:
        return organisation.search_entry.document
    except SearchEntry.DoesNotExist:
        return None


def _save_entries(entries):
    """Insert or update SearchEntry rows (one query)."""
    if entries:
        SearchEntry.objects.bulk_create(
            entries, update_conflicts=True, unique_fields=["organisation"], update_fields=["document"]
        )
    return len(entries)


# --- keeping it up to date --------------------------------------------------------------------------


def _refresh_ids(ids, create=False):
    ids = [pk for pk in ids if pk]
    if ids:
        refresh_search_documents(Organisation.objects.filter(pk__in=ids), create=create)


def _organisation_saved(sender, instance, **kwargs):
    _refresh_ids([instance.pk], create=True)


def _experience_changed(sender, instance, **kwargs):
    _refresh_ids([instance.organisation_id])


def _funding_changed(sender, instance, **kwargs):
    from experiences.models import Experience

    # On a cascade delete the experience may already be gone: then there is nothing to refresh.
    _refresh_ids(
        Experience.objects.filter(pk=instance.experience_id).values_list("organisation_id", flat=True)
    )


def _donor_saved(sender, instance, **kwargs):
    from experiences.models import Funding

    _refresh_ids(
        set(Funding.objects.filter(donor=instance).values_list("experience__organisation_id", flat=True))
    )


def connect_signals():
    """Called from InstitutionsConfig.ready(). Fixtures (raw saves) refresh too: rows saved later in the
    same load refresh their organisation again, so the end state is right."""
    from experiences.models import Donor, Experience, Funding

    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="search_org_saved")
    post_save.connect(_experience_changed, sender=Experience, dispatch_uid="search_exp_saved")
    post_delete.connect(_experience_changed, sender=Experience, dispatch_uid="search_exp_deleted")
    post_save.connect(_funding_changed, sender=Funding, dispatch_uid="search_funding_saved")
    post_delete.connect(_funding_changed, sender=Funding, dispatch_uid="search_funding_deleted")
    post_save.connect(_donor_saved, sender=Donor, dispatch_uid="search_donor_saved")


# --- searching --------------------------------------------------------------------------------------


class TextMatches(NamedTuple):
    """Organisation ids (published or not) whose document matches a query, and among them those whose
    names or acronym match it (relevance puts those first)."""

    ids: list
    name_ids: list


class EntryVector(Func):
    """A generated tsvector column of institutions_searchentry (PostgreSQL only, migration 0004): `vector`
    (the whole document) or `head_vector` (names and acronym). Not model fields (SQLite has no tsvector):
    compiled as the document column, renamed, so the table alias Django chose stays right."""

    output_field = SearchVectorField()

    def __init__(self, column):
        self.column = column
        super().__init__(F("document"))

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        document = connection.ops.quote_name("document")
        assert sql.endswith(document), sql
        return sql[: -len(document)] + connection.ops.quote_name(self.column), params


def _first_line(expression):
    return Func(expression, Value("\n"), Value(1), function="split_part", output_field=TextField())


def _text_query(q):
    return SearchQuery(q, config="french", search_type="websearch") | SearchQuery(
        q, config="english", search_type="websearch"
    )


def text_matches(q, using="default"):
    """TextMatches for q, or None when q holds no text to look for (nothing to filter by)."""
    q = clean_query(q)
    if not q:
        return None
    if connections[using].vendor == "postgresql":
        return _matches_postgresql(q, using)
    return _matches_simple(q, using)


def restrict(queryset, matches):
    """queryset narrowed to TextMatches (None: unchanged), annotated with `rank` (1 for a name match,
    else 0)."""
    if matches is None:
        return queryset
    rank = Case(When(pk__among=matches.name_ids, then=Value(1)), default=Value(0), output_field=IntegerField())
    return queryset.filter(pk__among=matches.ids).annotate(rank=rank)


def _matches_postgresql(q, using):
    entries = SearchEntry.objects.using(using)
    query = _text_query(q)
    matches = entries.filter(SearchVectorExact(EntryVector("vector"), query))
    by_name = entries.filter(SearchVectorExact(EntryVector("head_vector"), query))
    ids, name_ids = _id_arrays(matches, by_name)
    if ids:
        return TextMatches(ids, name_ids)
    # No document holds these words (French or English stems): probably misspelt ("Ouagadogou"), so look
    # for similar words instead: pg_trgm word similarity on the GIN trigram index, slower but rarely run.
    similar = entries.filter(document__trigram_word_similar=q)
    by_name = similar.annotate(head=_first_line(F("document"))).filter(head__trigram_word_similar=q)
    return TextMatches(*_id_arrays(similar, by_name))


def _id_arrays(*querysets):
    """The organisation ids of each queryset of entries, in one statement, read through the GIN indexes.

    PostgreSQL's planner prefers reading the whole table when a word matches most rows: it does not count
    that checking a row means fetching its vector from out-of-row storage (measured at 100,000
    organisations: 450 ms that way, 25 ms through the index). So indexes are required for this statement
    (SET LOCAL: for this transaction only; restored at once when the caller's transaction goes on). Two
    statements in autocommit, five inside a transaction (with the savepoint and the restore)."""
    parts, params = [], []
    for queryset in querysets:
        sql, part_params = queryset.values("organisation_id").query.sql_with_params()
        parts.append(f"ARRAY({sql})")
        params += part_params
    connection = connections[querysets[0].db]
    caller_transaction = connection.in_atomic_block
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        arrays = cursor.fetchone()
        if caller_transaction:
            cursor.execute("SET LOCAL enable_seqscan = on")
    return arrays


def _matches_simple(q, using):
    """Other databases (SQLite): every word of q occurs in the document; name matches in its first line."""
    words = list(dict.fromkeys(q.split()))[:MAX_WORDS]
    entries = SearchEntry.objects.using(using)
    for word in words:
        entries = entries.filter(document__contains=word)
    ids, name_ids = [], []
    for pk, document in entries.values_list("organisation_id", "document").iterator():
        ids.append(pk)
        head = document.split("\n", 1)[0]
        if all(word in head for word in words):
            name_ids.append(pk)
    return TextMatches(ids, name_ids)


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
        """The one parameter that carries the ids (views._rows_of also sends it to a compiled query)."""
        ids = [int(pk) for pk in ids]
        return ids if connection.vendor == "postgresql" else json.dumps(ids)


def ranked_ids(q, using="default"):
    """Ids of the organisations matching q, in relevance order: name or acronym matches first."""
    matches = text_matches(q, using)
    if matches is None:
        return []
    names = set(matches.name_ids)
    return [pk for pk in matches.name_ids] + [pk for pk in matches.ids if pk not in names]


def suggestion(q, using="default"):
    """A corrected query when a word of q matches nothing (PostgreSQL), else None."""
    return None
