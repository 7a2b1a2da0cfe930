"""Full-page cache for anonymous visitors of the public directory, invalidated the moment data changes.

How it stays correct:

- One "directory generation" number lives in the "state" cache, which every app process sees (Redis when
  CACHE_URL is set, else a file-based cache shared by the processes of one machine). Every cached page is
  stored under a key that includes it, so a page cached by any process is stale as soon as any process
  changes data.
- Any change to data shown on public pages (organisations, competences, experiences, their countries,
  sectors and fundings, donors, sectors) bumps the generation, through model signals. Pages stored under
  the old number are never read again and simply expire: no need to know which pages showed what.
- The bump happens at once (so the process that made the change never sees an old page, even inside a
  transaction) and again when the transaction commits (so a page another request rendered from the
  not-yet-committed data under the new number is dropped too).
- Changes that bypass signals (QuerySet.update(), bulk_create(): imports, generate_directory) must call
  bump_generation() themselves.

Each bump also logs, under its new number, which organisations the change concerns (CHANGES_KEY, kept a
day): the facet index (facet_index.py) re-reads only those instead of rebuilding from scratch. A log entry
is either a list of organisation ids (empty when only labels changed: a donor's name) or FULL_REBUILD when
anything may have changed (bare bump_generation() calls, sectors and their categories, fixtures). Rows
deleted in cascade from an organisation or an experience neither bump nor log: the origin's own signal,
sent after them, does both.

Who gets cached pages: only requests with no session cookie and no messages cookie (so no logged-in user,
no pending "saved" message), GET or HEAD. What is stored: only plain 200 responses that set no cookie and
used no CSRF token (a token is per visitor; a page embedding one must not be shared).
"""

import hashlib
import time
from functools import partial, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import translation

GENERATION_KEY = "directory:generation"
CHANGES_KEY = "directory:changes:{}"  # generation -> the organisations it concerns, or FULL_REBUILD
CHANGES_TIMEOUT = 24 * 60 * 60  # a facet index older than this is rebuilt rather than caught up
FULL_REBUILD = "full"
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage


def generation():
    """The current directory generation, created on first use."""
    state = caches["state"]
    value = state.get(GENERATION_KEY)
    if value is None:
        # Missing (first use, cache flushed or key evicted): start from the clock rather than from 1, so a
        # number that old pages may still be stored under is never reused. add() lets concurrent processes
        # agree on one value.
        state.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        value = state.get(GENERATION_KEY)
    return value


def bump_generation(sender=None, instance=None, **signal_kwargs):
    """Make every cached public page stale and log which organisations changed. Usable as a signal
    receiver; called bare (bulk writes), it logs that anything may have changed."""
    if signal_kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: the rows change after this signal, and its "post_" twin follows
    if _deleted_with_its_owner(sender, signal_kwargs.get("origin")):
        return
    changed = changed_organisations(sender, instance, **signal_kwargs)
    _bump(changed)
    # Both bumps log the ids: a process may have re-read them at the first one from data another
    # transaction had not committed yet; the second makes it read them again.
    transaction.on_commit(partial(_bump, changed))


def _bump(changed=FULL_REBUILD):
    """A new generation, and its log entry: `changed` (organisation ids, or FULL_REBUILD)."""
    state = caches["state"]
    try:
        new = state.incr(GENERATION_KEY)  # atomic on Redis, so two app servers never lose a bump
    except ValueError:  # no current generation: a fresh one is just as good (and has no log before it)
        generation()
        return
    # add(), not set(): the file-based cache's incr is not atomic (Redis's is), so two processes may get the
    # same number; one entry cannot hold both changes, so the second asks for a full rebuild instead.
    if not state.add(CHANGES_KEY.format(new), changed, timeout=CHANGES_TIMEOUT):
        state.set(CHANGES_KEY.format(new), FULL_REBUILD, timeout=CHANGES_TIMEOUT)


def logged_changes(old, new):
    """The organisations changed by generations old+1 … new (a set of ids), or None when that is not
    known: a log entry missing (evicted, expired, not written yet) or one of them is FULL_REBUILD."""
    keys = [CHANGES_KEY.format(number) for number in range(old + 1, new + 1)]
    entries = caches["state"].get_many(keys)
    if len(entries) < len(keys) or any(entry == FULL_REBUILD for entry in entries.values()):
        return None
    return set().union(*entries.values())


def changed_organisations(sender=None, instance=None, **signal_kwargs):
    """The ids of the organisations whose facet values a change may alter (a list), or FULL_REBUILD."""
    from experiences.models import Donor, Experience, ExperienceCountry, Funding

    from .models import Competence, Organisation

    using = signal_kwargs.get("using") or "default"
    if instance is None or signal_kwargs.get("raw"):
        return FULL_REBUILD  # bulk writes and fixtures: anything may have changed
    if "action" in signal_kwargs:  # m2m_changed on Experience.sectors
        return _sector_links_owners(instance, signal_kwargs["pk_set"], using)
    if isinstance(instance, Organisation):
        return [instance.pk]
    if isinstance(instance, (Competence, Experience)):
        return _with_previous(instance, {instance.organisation_id})
    if isinstance(instance, (ExperienceCountry, Funding)):
        return _with_previous(instance, _experience_owner(instance, using))
    if isinstance(instance, Donor):
        return []  # its name is only a label: whom it funds changes with the fundings
    return FULL_REBUILD  # sectors and categories: codes and their grouping, for every organisation


def _with_previous(instance, owners):
    # A row moved to another organisation (an experience in the admin) also leaves the one it was in.
    return sorted(owners | instance.__dict__.pop("_owner_before_save", set()))


def _experience_owner(row, using):
    """{organisation id} of an experience country or funding, read from its experience; empty when the
    experience is already gone (its own delete signal logs the organisation)."""
    from experiences.models import Experience

    if type(row).experience.is_cached(row):
        return {row.experience.organisation_id}
    owners = Experience.objects.using(using).filter(pk=row.experience_id).values_list("organisation_id", flat=True)
    return set(owners)


def _sector_links_owners(instance, pk_set, using):
    from experiences.models import Experience

    if isinstance(instance, Experience):
        return [instance.organisation_id]
    if pk_set is None:  # sector.experiences.clear(): which experiences had it is not known any more
        return FULL_REBUILD
    experiences = Experience.objects.using(using).filter(pk__in=pk_set)
    return sorted(set(experiences.values_list("organisation_id", flat=True)))


# The foreign key that ties a row to an organisation (directly or through its experience), and the lookup
# from the row to that organisation.
OWNERS = {
    "institutions.Competence": ("organisation", "organisation_id"),
    "experiences.Experience": ("organisation", "organisation_id"),
    "experiences.ExperienceCountry": ("experience", "experience__organisation_id"),
    "experiences.Funding": ("experience", "experience__organisation_id"),
}


def remember_owner(sender, instance, raw=False, using=None, update_fields=None, **_signal_kwargs):
    """pre_save: note the organisation an existing row belonged to, as this save may move it to another
    (one query, only for updates that may change the foreign key)."""
    field, lookup = OWNERS[sender._meta.label]
    if raw or instance._state.adding:
        return
    if update_fields is not None and not {field, f"{field}_id"} & set(update_fields):
        return
    rows = sender._base_manager.using(using).filter(pk=instance.pk).values_list(lookup, flat=True)
    instance._owner_before_save = set(rows)


def _deleted_with_its_owner(sender, origin):
    """A row deleted in cascade from an organisation or an experience: that one's own post_delete signal,
    sent after every row it took with it, bumps and logs its organisation."""
    if origin is None:
        return False
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model is not sender and model._meta.label in ("institutions.Organisation", "experiences.Experience")


def page_key(request):
    """(generation, language, scheme, host, path, query with keys and values sorted): the same search
    written in another order is the same entry; another language or query is another entry."""
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    raw = "|".join(
        [translation.get_language() or "", request.scheme, request.get_host(), request.path, query]
    )
    return f"directory:page:{generation()}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _anonymous_without_state(request):
    # Sessions are the only way to log in here, so no session cookie means an anonymous visitor; checking
    # the cookie (not request.user) also avoids loading a session for every cached hit.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
    )


def _storable(request, response):
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
        and not getattr(getattr(request, "session", None), "modified", False)
    )


def cache_public_page(timeout=None):
    """View decorator: serve and store whole pages for anonymous visitors (see the module docstring).
    Off when settings.PUBLIC_PAGE_CACHE is false. timeout defaults to PUBLIC_PAGE_CACHE_TIMEOUT."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not settings.PUBLIC_PAGE_CACHE or not _anonymous_without_state(request):
                return view(request, *args, **kwargs)
            key = page_key(request)
            response = cache.get(key)
            if response is not None:
                return response
            response = view(request, *args, **kwargs)
            if _storable(request, response):
                if hasattr(response, "render") and callable(response.render):
                    response.render()  # TemplateResponse: store the HTML, not the recipe
                cache.set(key, response, settings.PUBLIC_PAGE_CACHE_TIMEOUT if timeout is None else timeout)
            return response

        return wrapped

    return decorator


def connect_signals():
    """Called from InstitutionsConfig.ready(): every model whose data a public page shows."""
    from experiences.models import Donor, Experience, ExperienceCountry, Funding

    from .models import Competence, Organisation, Sector, SectorCategory

    for model in (
        Organisation,
        Competence,
        Experience,
        ExperienceCountry,
        Funding,
        Donor,
        Sector,
        SectorCategory,
    ):
        post_save.connect(
            bump_generation, sender=model, dispatch_uid=f"directory-cache-save-{model.__name__}"
        )
        post_delete.connect(
            bump_generation, sender=model, dispatch_uid=f"directory-cache-delete-{model.__name__}"
        )
    m2m_changed.connect(
        bump_generation, sender=Experience.sectors.through, dispatch_uid="directory-cache-m2m"
    )
    for model in (Competence, Experience, ExperienceCountry, Funding):
        pre_save.connect(remember_owner, sender=model, dispatch_uid=f"directory-owner-{model.__name__}")
