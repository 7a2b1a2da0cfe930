from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import index, sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from directory.sitemaps import CACHE_TIMEOUT, SITEMAPS
from institutions.cache import cache_public_page

from . import views

# The admin says whose it is, in the staff member's language (not "Django administration").
admin.site.site_header = admin.site.site_title = _("Platforma — administration")
# No app list beside every page: at 1366 px it pushed the organisation list's last columns off-screen
# (the breadcrumbs and the home page lead everywhere).
admin.site.enable_nav_sidebar = False

# "/" has no language prefix: LocaleMiddleware redirects it to /fr/ or /en/ from Accept-Language.
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # For machines: one address whatever the language (the sitemap lists both languages itself): an index of
    # sections, each cached per directory generation (institutions/sitemaps.py).
    path(
        "sitemap.xml",
        cache_public_page(CACHE_TIMEOUT)(index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        cache_public_page(CACHE_TIMEOUT)(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("api/", include("api.urls")),
]

if settings.BENCHMARK_VIEW:
    from . import views

    urlpatterns.append(path("bench/bare/", views.bare))

urlpatterns += i18n_patterns(
    path("partners/", include("partners.urls")),
    path("join/", include("partners.join_urls")),
    path("", include("api.public_urls")),
    path("", include("contact.urls")),
    path("", include("alerts.urls")),
    path("", include("directory.urls")),
)

# Custom 500 view: renders without the request, and answers 503 when the database is unreachable.
handler500 = "platforma.views.server_error"
