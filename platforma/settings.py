"""Settings for the Platforma directory.

One module, driven by environment variables. The defaults suit a newcomer (DEBUG on, SQLite in the
checkout, e-mail to the console); with DEBUG off, a missing or invalid value stops the start-up with a
message that says which variable to set.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def envbool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("Set SECRET_KEY to a random string of at least 50 characters when DEBUG is off.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS (comma-separated host names) when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# The public URL of the site, used in e-mails sent outside a request (invitations).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # modeltranslation must come before the admin so its admin integration applies.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER
    "django.contrib.postgres",
    "django_countries",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "simple_history",
    "axes",
    "django_tasks_db",
    "accounts",
    "institutions",
    "experiences",
    "directory",
    "partners",
    "contact",
    "alerts",
    "api",
    # Project-wide signal receivers (security logging).
    "platforma.apps.PlatformaConfig",
]

MIDDLEWARE = [
    # Outermost: one log line per request with the final status, whatever answered it.
    "platforma.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "platforma.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Reads of anonymous public requests from the replica, when there is one (DATABASE_REPLICA_URL).
    "platforma.replica.ReplicaMiddleware",
    # After WhiteNoise (static files keep their own long-lived headers): no proxy stores a page by default.
    "platforma.middleware.PrivateByDefaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before CommonMiddleware, as django-cors-headers asks; it answers only under /api/ (CORS_URLS_REGEX).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns "database unreachable" raised by a view into a clean 503 page (see platforma/views.py too).
    "platforma.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "platforma.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The CSP nonce, used only by the Django admin's templates (ours have no inline code).
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Forms and widgets render through TEMPLATES, so templates/django/forms/ can override a widget's template.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "platforma.wsgi.application"

# SQLite in the checkout by default, so a fresh clone runs with no server;
# DATABASE_URL=postgres://user@host:5432/name switches to PostgreSQL (psycopg 3).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (a partner saving while staff import) wait instead of failing at once: up to 20 s for
    # the write lock, taken when a transaction begins (IMMEDIATE). A transaction that read first and asked
    # for the lock later could not wait (SQLite answers "database is locked" at once to avoid a deadlock),
    # and two simultaneous saves gave the 503 page; now the second waits, then sees the first's version.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A PostgreSQL streaming replica for the reads where it is safe (platforma/replica.py: anonymous public pages,
# feeds, exports, the API; never right after a write). Unset: everything reads and writes DATABASE_URL.
# A replica lagging more than REPLICA_MAX_LAG seconds (checked every REPLICA_CHECK_INTERVAL) is not read.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", "")
REPLICA_MAX_LAG = envint("REPLICA_MAX_LAG", 5)
REPLICA_CHECK_INTERVAL = envint("REPLICA_CHECK_INTERVAL", 2)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # A stopped replica refuses at once; an unreachable host must not hold a worker longer than this.
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    # Tests: the replica alias reads the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["platforma.replica.ReplicaRouter"]


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Background work (the admin's import): Django's task framework, the tasks kept in the database and run by
# `manage.py db_worker` (started by `make run`; in production deploy/platforma-worker.service). The tests run
# each task at once (tests/conftest.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: French first (the directory's main audience), English second.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

# django-modeltranslation: one column per language keeps search and indexes simple.
MODELTRANSLATION_DEFAULT_LANGUAGE = "fr"
MODELTRANSLATION_LANGUAGES = ("fr", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("fr", "en"), "fr": ("en",), "en": ("fr",)}

# django-countries: Kosovo is missing from ISO 3166 but partners work there; CI reads "Ivory Coast" in
# English as on the original directory (French keeps "Côte d'Ivoire" through the catalogue).
COUNTRIES_OVERRIDE = {"XK": _("Kosovo"), "CI": _("Ivory Coast")}
COUNTRIES_FIRST_BREAK = None

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")  # where collectstatic writes
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: printed to the console in development (as readable text, see platforma/mail.py); SMTP from the
# environment in production (MAILERS, Django 6.1's replacement for the EMAIL_* settings; the environment
# variables keep their EMAIL_* names).
_EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "platforma.mail.ConsoleTextBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND}}
if _EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": envint("EMAIL_PORT", 25),
        "username": env("EMAIL_HOST_USER", ""),
        "password": env("EMAIL_HOST_PASSWORD", ""),
        "use_tls": envbool("EMAIL_USE_TLS", False),
        "use_ssl": envbool("EMAIL_USE_SSL", False),
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Platforma <no-reply@platforma.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The secretariat's address, shown on the front page to organisations that want to be listed.
CONTACT_EMAIL = env("CONTACT_EMAIL", "secretariat@platforma.local")

LOGIN_URL = "partners:login"
LOGIN_REDIRECT_URL = "partners:home"
LOGOUT_REDIRECT_URL = "directory:search"

# Proxies (load balancers) in front of the app, each appending the address it received a request from to
# X-Forwarded-For. Lockout, rate limits and the limit on exports count per client address
# (institutions.clients.client_ip): behind a balancer, set this, or every visitor shares the balancer's address
# and one can lock out everyone.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")

# django-axes: lock an account-and-client-address pair after repeated failures, for AXES_COOLOFF_MINUTES;
# an attacker elsewhere locks only their own address out, and a password reset lifts the lockout.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"  # a bilingual page, status 429
AXES_USERNAME_CALLABLE = "accounts.views.axes_username"  # failures counted per normalised address
AXES_CLIENT_IP_CALLABLE = "institutions.clients.client_ip"

# Password-reset requests (each sends a mail) per address asked for and per client address, django-ratelimit
# syntax ("3/h": three an hour). Counted in the default cache: set CACHE_URL so app servers share counts.
PASSWORD_RESET_RATE_PER_ADDRESS = env("PASSWORD_RESET_RATE_PER_ADDRESS", "3/h")
PASSWORD_RESET_RATE_PER_IP = env("PASSWORD_RESET_RATE_PER_IP", "20/h")
RATELIMIT_IP_META_KEY = "institutions.clients.client_ip"
# Messages written through organisations' contact pages (contact/views.py; each sends mail): per client
# address, and per organisation whoever writes, in the same syntax and cache.
CONTACT_RATE_PER_IP = env("CONTACT_RATE_PER_IP", "5/h")
CONTACT_RATE_PER_ORGANISATION = env("CONTACT_RATE_PER_ORGANISATION", "30/d")
# Copies to the sender, per address typed (beyond, the message is sent without its copy).
CONTACT_COPIES_PER_ADDRESS = env("CONTACT_COPIES_PER_ADDRESS", "5/d")
# Requests to follow a search by e-mail (alerts/views.py; each sends a mail): per client address (beyond:
# refused, status 429) and per address typed, whoever types it (beyond: answered the same, nothing sent).
ALERTS_RATE_PER_IP = env("ALERTS_RATE_PER_IP", "10/h")
ALERTS_RATE_PER_ADDRESS = env("ALERTS_RATE_PER_ADDRESS", "3/h")
# Days a confirmation link works; `send_alerts` deletes the subscriptions left unconfirmed after them.
ALERTS_CONFIRM_DAYS = envint("ALERTS_CONFIRM_DAYS", 7)
# Requests to join (partners/join_views.py; each tells staff by mail): per client address, and per address
# typed whoever types it.
JOIN_RATE_PER_IP = env("JOIN_RATE_PER_IP", "5/h")
JOIN_RATE_PER_ADDRESS = env("JOIN_RATE_PER_ADDRESS", "3/d")

# Cache: local memory by default; CACHE_URL=redis://host:6379/0 shares one between app servers.
# "state" holds the directory generation (institutions/cache.py), which every app process must see the
# same: Redis when there is one, otherwise a small file-based cache shared by the processes of this machine
# (local memory would give each gunicorn worker its own number, and edits made through one worker would
# leave the others serving stale pages).
# CACHE_KEY_PREFIX lets several sites (or test runs) share one Redis database without meeting.
CACHE_URL = env("CACHE_URL", "")
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "")
STATE_CACHE_DIR = env("STATE_CACHE_DIR", str(BASE_DIR / "var" / "state-cache"))
if CACHE_URL:
    # Short timeouts: an unreachable cache costs a page half a second at most, never a hung worker (pages
    # are computed without it: institutions/cache.py).
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    CACHES = {"default": _redis, "state": _redis}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "state": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": STATE_CACHE_DIR},
    }

# Full-page cache of anonymous public pages (institutions/cache.py); PUBLIC_PAGE_CACHE=0 turns it off
# (the benchmark measures both). Seconds a cached page lives at most; edits invalidate it at once anyway.
PUBLIC_PAGE_CACHE = envbool("PUBLIC_PAGE_CACHE", True)
PUBLIC_PAGE_CACHE_TIMEOUT = envint("PUBLIC_PAGE_CACHE_TIMEOUT", 300)
# How long browsers and proxies may show a public page without asking again, then while they ask again
# (Cache-Control on anonymous public pages): an edit reaches every visitor within their sum at most.
PUBLIC_MAX_AGE = envint("PUBLIC_MAX_AGE", 60)
PUBLIC_STALE_WHILE_REVALIDATE = envint("PUBLIC_STALE_WHILE_REVALIDATE", 60)
# The first search page's facet counts (every published organisation: a GROUP BY over every facet value) are
# kept in the cache for the directory's generation (directory/criteria.py), and so is the network of a search
# (directory/network.py); FACET_COUNTS_CACHE=0 turns both off.
FACET_COUNTS_CACHE = envbool("FACET_COUNTS_CACHE", True)

# Open data exports (directory/exports.py). A search matching at most EXPORT_STREAM_LIMIT rows is exported
# on demand; the whole directory is served from files that `manage.py build_exports` writes into EXPORTS_DIR
# (run it every minute: it returns at once when the files are fresh). MEDIA_ROOT holds nothing else today.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
EXPORTS_DIR = Path(env("EXPORTS_DIR", str(MEDIA_ROOT / "exports")))
EXPORT_STREAM_LIMIT = envint("EXPORT_STREAM_LIMIT", 10_000)

# Expensive anonymous requests (exports, printed lists, statistics, networks; directory/limits.py): at most
# EXPENSIVE_PER_CLIENT at once per client address, and EXPENSIVE_PER_SERVER at once on this machine, so they
# never occupy every gunicorn worker (keep it below WEB_CONCURRENCY). Others get 429 with Retry-After.
EXPENSIVE_PER_CLIENT = envint("EXPENSIVE_PER_CLIENT", 2)
_WORKERS = envint("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)  # gunicorn.conf.py's default
EXPENSIVE_PER_SERVER = envint("EXPENSIVE_PER_SERVER", max(1, _WORKERS // 2))
EXPENSIVE_RETRY_AFTER = envint("EXPENSIVE_RETRY_AFTER", 10)

# The sitemap index lists sections of at most this many URLs (institutions/sitemaps.py).
SITEMAP_SECTION_SIZE = envint("SITEMAP_SECTION_SIZE", 5000)

# IATI export (api/iati.py): an organisation without its own IATI organisation identifier gets one under
# this prefix, the directory's own (set it to the publisher identifier registered with IATI).
IATI_PREFIX = env("IATI_PREFIX", "XI-PLATFORMA")
if not re.fullmatch(r"[A-Z]{2}-[A-Z0-9]+(-[A-Z0-9]+)*", IATI_PREFIX):
    raise ImproperlyConfigured(f"IATI_PREFIX must look like XI-PLATFORMA (capitals, digits, hyphens): {IATI_PREFIX!r}")

# The read-only JSON API (api/): JSON only (the browsable API's forms list every choice and time out at
# scale), no sessions or logins, a throttle per client address. Behind a load balancer set API_NUM_PROXIES
# to the number of proxies in front, so the address is read from X-Forwarded-For and not the proxy's.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", "120/minute")
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": envint("API_NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Platforma directory API",
    "DESCRIPTION": (
        "Read-only open data of the Platforma institutional directory: organisations (with the search page's "
        "criteria), their competences and experiences, sectors, donors and countries. Both languages: `?lang=` "
        "or Accept-Language. Responses carry an ETag and Last-Modified. Each client address may make "
        f"{API_THROTTLE_RATE.replace('/', ' requests per ')}; beyond, 429 with Retry-After. "
        "Licence of the data: CC BY 4.0. The experiences as IATI 2.03 XML: `/api/v1/iati/` (a search) and "
        "`/api/v1/organisations/{slug}/iati/`, the same files as the pages' IATI links."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.document_errors"],
}
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

# BENCHMARK=1 routes a bare "ok" view at /bench/bare/ for `make bench` (scripts/bench.py);
# never set it in production.
BENCHMARK_VIEW = envbool("BENCHMARK", False)

# Security: production settings pass `manage.py check --deploy`.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe /healthz over plain HTTP: a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Strict Content-Security-Policy, on in development too so a violation shows up early. Our templates have no
# inline script or style (tests/test_security_headers.py scans them). CSP.NONCE is replaced by a per-request
# nonce only on pages that ask for one (the Django admin's templates do); elsewhere it is dropped, so public
# pages get exactly "script-src 'self'; style-src 'self'".
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Added by platforma.middleware.PermissionsPolicyMiddleware: the site needs none of these browser features.
PERMISSIONS_POLICY = "geolocation=(), camera=(), microphone=(), payment=(), usb=()"
CSRF_FAILURE_VIEW = "platforma.views.csrf_failure"

# The admin's path (ADMIN_URL=staff-1234/ in production makes it harder to find); used in platforma/urls.py.
ADMIN_URL = env("ADMIN_URL", "admin/").strip("/") + "/"
# Seconds a client is told to wait (Retry-After) when the database is unreachable and pages answer 503.
DB_UNAVAILABLE_RETRY_AFTER = envint("DB_UNAVAILABLE_RETRY_AFTER", 30)

# Request and security events are one JSON object a line (platforma/logging.py), easy to ship and query;
# the rest stays plain text. The request line replaces Django's own "django.server"/"django.request" noise.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "platforma.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "json": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},
        # The access log is platforma.requests (one JSON line per request, errors included): runserver's
        # own line would be a second one; errors' tracebacks come from django.request.
        "django.server": {"level": "CRITICAL"},
        "platforma.requests": {"handlers": ["json"], "level": "INFO", "propagate": False},
        "platforma.security": {"handlers": ["json"], "level": "INFO", "propagate": False},
    },
}
