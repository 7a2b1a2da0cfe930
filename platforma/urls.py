from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from institutions.sitemaps import SITEMAPS

from . import views

# The admin says whose it is, in the staff member's language (not "Django administration").
admin.site.site_header = admin.site.site_title = _("Platforma — administration")
# No app list beside every page: at 1366 px it pushed the organisation list's last columns off-screen
# (the breadcrumbs and the home page lead everywhere).
admin.site.enable_nav_sidebar = False

# "/" has no language prefix: LocaleMiddleware redirects it to /fr/ or /en/ from Accept-Language.
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # For machines: one address whatever the language (the sitemap lists both languages itself).
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
]

if settings.BENCHMARK_VIEW:
    from . import views

    urlpatterns.append(path("bench/bare/", views.bare))

urlpatterns += i18n_patterns(
    path("partners/", include("accounts.urls")),
    path("", include("institutions.urls")),
)

# Custom 500 view: renders without the request, and answers 503 when the database is unreachable.
handler500 = "platforma.views.server_error"
