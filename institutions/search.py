"""Free-text search: the one place that knows how text is matched, per database.

Every organisation keeps an accent-folded, lower-cased `search_document` (names and acronym on the first
line, everything else after it). Queries are folded the same way in Python, so PostgreSQL needs no unaccent
extension and SQLite can match with a plain LIKE.

- PostgreSQL: full-text search with French and English stemming (OR-ed), plus pg_trgm word similarity so
  that a typo ("Ouagadogou") still finds the record; ranked with name/acronym matches first. The
  expressions below are exactly those of the GIN indexes in migration 0002_search_indexes.
- Other databases (SQLite): every word must occur in the document.

Views call `search(queryset, q)` and don't care which database runs.
"""

import re
import unicodedata

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connections
from django.db.models import Case, F, FloatField, Func, Prefetch, Q, Value, When
from django.db.models.functions import StrIndex, Substr
from django.db.models.signals import post_delete, post_save

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


def refresh_search_documents(queryset, batch_size=500):
    """Recompute search_document for these organisations, in batches (a few queries per batch).

    Writes with bulk_update: no history entry, no `updated`/`version` change, no signal."""
    from experiences.models import Experience, Funding

    from .models import Organisation

    organisations = queryset.order_by("pk").prefetch_related(
        Prefetch("experiences", queryset=Experience.objects.order_by("pk")),
        Prefetch("experiences__fundings", queryset=Funding.objects.select_related("donor").order_by("pk")),
    )
    changed, count = [], 0
    for organisation in organisations.iterator(chunk_size=batch_size):
        document = build_document(organisation)
        if document != organisation.search_document:
            organisation.search_document = document
            changed.append(organisation)
        if len(changed) >= batch_size:
            count += Organisation.objects.bulk_update(changed, ["search_document"])
            changed = []
    if changed:
        count += Organisation.objects.bulk_update(changed, ["search_document"])
    return count


# --- keeping it up to date --------------------------------------------------------------------------


def _refresh_ids(ids):
    from .models import Organisation

    ids = [pk for pk in ids if pk]
    if ids:
        refresh_search_documents(Organisation.objects.filter(pk__in=ids))


def _organisation_saved(sender, instance, **kwargs):
    _refresh_ids([instance.pk])


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

    from .models import Organisation

    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="search_org_saved")
    post_save.connect(_experience_changed, sender=Experience, dispatch_uid="search_exp_saved")
    post_delete.connect(_experience_changed, sender=Experience, dispatch_uid="search_exp_deleted")
    post_save.connect(_funding_changed, sender=Funding, dispatch_uid="search_funding_saved")
    post_delete.connect(_funding_changed, sender=Funding, dispatch_uid="search_funding_deleted")
    post_save.connect(_donor_saved, sender=Donor, dispatch_uid="search_donor_saved")


# --- searching --------------------------------------------------------------------------------------


class StoredSearchVector(Func):
    """The `search_vector` column (PostgreSQL only, added by migration 0002_search_indexes): generated from
    search_document with French and English stemming, stored, GIN-indexed. Stored because computing
    to_tsvector per row made a common word cost a second per 20,000 organisations.

    Not a model field (SQLite has no tsvector): compiled as search_document's column, renamed, so the
    table alias Django chose (U0 in subqueries) stays right."""

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(F("search_document"))

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        column = connection.ops.quote_name("search_document")
        assert sql.endswith(column), sql
        return sql[: -len(column)] + connection.ops.quote_name("search_vector"), params


def _first_line(expression):
    return Func(expression, Value("\n"), Value(1), function="split_part")


def search(queryset, q, typos=None):
    """Organisations matching q, annotated with `rank` (higher is better) when q is not empty.

    typos (PostgreSQL): look for similar words instead of the words themselves; None = decide with
    `spelled_nowhere(q)` (one query: pass the answer when searching the same text several times)."""
    q = clean_query(q)
    if not q:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        if typos is None:
            typos = spelled_nowhere(q, queryset.db)
        return _search_postgresql(queryset, q, typos)
    return _search_simple(queryset, q)


def _text_query(q):
    return SearchQuery(q, config="french", search_type="websearch") | SearchQuery(
        q, config="english", search_type="websearch"
    )


def spelled_nowhere(q, using="default"):
    """True when no document holds the words of q (French or English stems): then q is probably
    misspelt and the trigram search (slower: it compares every candidate document) takes over."""
    from .models import Organisation

    q = clean_query(q)
    if not q or connections[using].vendor != "postgresql":
        return False
    condition = SearchVectorExact(StoredSearchVector(), _text_query(q))
    return not Organisation.objects.using(using).filter(condition).exists()


def _search_postgresql(queryset, q, typos):
    names = TrigramWordSimilarity(q, _first_line(F("search_document")))
    if typos:
        # "Ouagadogou" shares most trigrams with "ouagadougou": pg_trgm word similarity, GIN trigram index.
        matches = queryset.filter(search_document__trigram_word_similar=q)
        return matches.annotate(rank=TrigramWordSimilarity(q, "search_document") + 2 * names)
    query = _text_query(q)
    matches = queryset.filter(SearchVectorExact(StoredSearchVector(), query))
    # Names and acronym first: their similarity to q outweighs any full-text rank.
    return matches.annotate(rank=SearchRank(StoredSearchVector(), query) + 2 * names)


def _search_simple(queryset, q):
    words = list(dict.fromkeys(q.split()))[:MAX_WORDS]
    for word in words:
        queryset = queryset.filter(search_document__icontains=word)
    # The document's first line holds the names: a match there ranks first.
    head = Substr(F("search_document"), 1, StrIndex(F("search_document"), Value("\n")))
    in_name = Q()
    for word in words:
        in_name &= Q(search_head__contains=word)
    return queryset.annotate(search_head=head).annotate(
        rank=Case(When(in_name, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    )
