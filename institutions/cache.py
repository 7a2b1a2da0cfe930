"""Full-page cache for anonymous visitors of the public directory, made stale by every data change.

- One "directory generation" number lives in the "state" cache, which every app process sees (Redis when
  CACHE_URL is set, else a file-based cache shared by the processes of one machine). Every cached page is
  stored under a key that includes it, so a page cached by any process is stale as soon as any process
  changes data: nobody needs to know which pages showed what.
- A change to data public pages show (organisations, competences, experiences, their countries, sectors
  and fundings, donors, sectors) bumps the generation ONCE per transaction, when it commits, whatever the
  number of rows it touched (model signals register the bump; a transaction that touched 250 rows still
  bumps once). A page rendered before the commit is stored under the old number and never read again.
- Writes that bypass signals (QuerySet.update(), bulk_create(): imports, generate_directory) call
  bump_generation() themselves.
- The cache is never needed for correctness: if it cannot be reached (Redis down), pages are computed from
  the database, and a warning is logged at most once a minute (`cache_call`).

For browsers and proxies (nginx, a CDN): the same pages answer anonymous visitors with `ETag` (the
generation) and `Last-Modified` (when it last changed), a request whose `If-None-Match` names the current
generation gets a 304 before anything else is done (no database query), and `Cache-Control: public,
max-age=PUBLIC_MAX_AGE, stale-while-revalidate=PUBLIC_STALE_WHILE_REVALIDATE`, so a proxy may show an
edit that much later at most. Logged-in visitors get `private, no-cache`; every other page of the site
(partner pages, admin, forms) is `private, no-store` unless it says otherwise
(platforma.middleware.PrivateByDefaultMiddleware).

Who gets cached pages: only requests with no session cookie and no messages cookie (so no logged-in user,
no pending "saved" message), GET or HEAD. What is stored: only plain 200 responses that set no cookie and
used no CSRF token (a token is per visitor; a page embedding one must not be shared). Pages are keyed by
the canonical form of their criteria (`page_key`), so the same search written another way, or with
parameters the page ignores (`?cb=random`), is the same entry.
"""

import datetime
import hashlib
import logging
import threading
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import condition

logger = logging.getLogger(__name__)

GENERATION_KEY = "directory:generation"
CHANGED_KEY = "directory:changed"  # when the generation last changed (seconds since the epoch)
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage
WARN_EVERY = 60  # seconds between two warnings that the cache cannot be reached

_last_warning = [0.0]
_pending = threading.local()  # database aliases with a bump waiting for their transaction to commit


def cache_call(method, *args, default=None, **kwargs):
    """cache.method(*args), or `default` when the cache cannot be reached (logged once a minute at most):
    a cache outage makes pages slower, never wrong and never an error."""
    try:
        return method(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - any backend's connection error: the answer is the same
        now = time.monotonic()
        if now - _last_warning[0] > WARN_EVERY:
            _last_warning[0] = now
            logger.warning("cache unreachable, serving without it: %s", error)
        return default


def generation():
    """The current directory generation, created on first use; None when the cache cannot be reached."""
    state = caches["state"]
    value = cache_call(state.get, GENERATION_KEY)
    if value is None:
        # Missing (first use, cache flushed or key evicted): start from the clock rather than from 1, so a
        # number that old pages may still be stored under is never reused. add() lets concurrent processes
        # agree on one value.
        cache_call(state.add, GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        value = cache_call(state.get, GENERATION_KEY)
    return value


def bump_generation(using="default"):
    """Make every cached public page stale, now (bulk writes call it after their work)."""
    try:
        caches["state"].incr(GENERATION_KEY)  # atomic on Redis, so two app servers never lose a bump
    except ValueError:  # no current generation: a fresh one is just as good
        generation()
    except Exception:  # noqa: BLE001 - unreachable: generation() logs it
        generation()
    cache_call(caches["state"].set, CHANGED_KEY, int(time.time()), timeout=None)


def changed_at():
    """When the directory last changed (a datetime: Last-Modified of public pages and the API), or None when
    the cache cannot be reached. Not known (the cache emptied): from now on, so it never goes back."""
    state = caches["state"]
    seconds = cache_call(state.get, CHANGED_KEY)
    if seconds is None:
        cache_call(state.add, CHANGED_KEY, int(time.time()), timeout=None)
        seconds = cache_call(state.get, CHANGED_KEY)
    return None if seconds is None else datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def _bump_when_committed(using):
    pending = _pending.__dict__.setdefault("aliases", set())
    if using in pending:
        pending.discard(using)
        bump_generation(using)


def data_changed(sender=None, using=None, raw=False, **signal_kwargs):
    """Signal receiver: bump the generation when the current transaction commits, once per transaction.
    Every change registers the callback; the first to run bumps and the others find nothing to do."""
    if raw or signal_kwargs.get("action", "post_").startswith("pre_"):
        return
    using = using or "default"
    _pending.__dict__.setdefault("aliases", set()).add(using)
    transaction.on_commit(lambda: _bump_when_committed(using), using=using)


def canonical_query(pairs):
    """A query string from (name, value) pairs, sorted: the one way a set of criteria is written."""
    from urllib.parse import urlencode

    return urlencode(sorted(pairs))


def page_key(request, current=None):
    """The cache key of a page: generation (`current`, else read now), language, host, path and the page's
    canonical criteria (set by the view as request.canonical_query; other pages: the whole query string,
    sorted)."""
    query = getattr(request, "canonical_query", None)
    if query is None:
        query = canonical_query((k, v) for k, values in request.GET.lists() for v in values)
    raw = "|".join([translation.get_language() or "", request.scheme, request.get_host(), request.path, query])
    current = generation() if current is None else current
    return f"directory:page:{current}:{hashlib.sha256(raw.encode()).hexdigest()}"


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


def cache_public_page(timeout=None, key=None):
    """View decorator: serve and store whole pages for anonymous visitors (see the module docstring).
    Off when settings.PUBLIC_PAGE_CACHE is false. `key(request)` may give the page's canonical criteria
    (or a response to send instead, e.g. a redirect to them) before the cache is read."""

    def decorator(view):
        def cached(request, *args, **kwargs):
            if not settings.PUBLIC_PAGE_CACHE or not _anonymous_without_state(request):
                return view(request, *args, **kwargs)
            current = _state(request)[0]
            if current is None:  # cache unreachable
                return view(request, *args, **kwargs)
            page = page_key(request, current)
            response = cache_call(cache.get, page)
            if response is not None:
                return response
            response = view(request, *args, **kwargs)
            if _storable(request, response):
                if hasattr(response, "render") and callable(response.render):
                    response.render()  # TemplateResponse: store the HTML, not the recipe
                seconds = settings.PUBLIC_PAGE_CACHE_TIMEOUT if timeout is None else timeout
                cache_call(cache.set, page, response, seconds)
            return response

        validated = condition(etag_func=_etag, last_modified_func=_last_modified)(cached)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if key is not None:
                answer = key(request)
                if answer is not None:
                    return answer
            response = validated(request, *args, **kwargs)
            if response.status_code == 200 and (last_modified := _last_modified(request)):
                # The one Last-Modified that If-Modified-Since is compared with (a feed sets its items' own).
                response["Last-Modified"] = http_date(last_modified.timestamp())
            if response.status_code in (200, 304) and not response.has_header("Cache-Control"):
                if _anonymous_without_state(request):
                    patch_cache_control(
                        response,
                        public=True,
                        max_age=settings.PUBLIC_MAX_AGE,
                        stale_while_revalidate=settings.PUBLIC_STALE_WHILE_REVALIDATE,
                    )
                else:
                    patch_cache_control(response, private=True, no_cache=True)
            return response

        return wrapped

    return decorator


def _state(request):
    """(generation, changed_at()) for this request, read from the cache once whatever asks."""
    if not hasattr(request, "_directory_state"):
        request._directory_state = (generation(), changed_at())
    return request._directory_state


def _etag(request, *args, **kwargs):
    """A public page's ETag for an anonymous visitor: the directory generation (the same URL shows the same
    page until it changes). None (no ETag) for a logged-in visitor, or when the cache cannot be reached."""
    if not _anonymous_without_state(request):
        return None
    current = _state(request)[0]
    return None if current is None else f'"{current}"'


def _last_modified(request, *args, **kwargs):
    return _state(request)[1] if _anonymous_without_state(request) else None


def _deployed(sender, using="default", **kwargs):
    """post_migrate: a deployment (which migrates) may change every page's markup: a new generation."""
    bump_generation(using)


def connect_signals():
    """Called from InstitutionsConfig.ready(): every model whose data a public page shows."""
    from experiences.models import Donor, Experience, ExperienceCountry, Funding, Participant

    from .models import Competence, Organisation, Sector, SectorCategory

    for model in (
        Organisation, Competence, Experience, ExperienceCountry, Funding, Participant, Donor, Sector, SectorCategory
    ):
        post_save.connect(data_changed, sender=model, dispatch_uid=f"directory-cache-save-{model.__name__}")
        post_delete.connect(data_changed, sender=model, dispatch_uid=f"directory-cache-delete-{model.__name__}")
    m2m_changed.connect(data_changed, sender=Experience.sectors.through, dispatch_uid="directory-cache-m2m")
    post_migrate.connect(_deployed, dispatch_uid="directory-cache-deployed")
