from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

# "/" has no language prefix: LocaleMiddleware redirects it to /fr/ or /en/ from Accept-Language.
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
]

if settings.BENCHMARK_VIEW:
    from . import views

    urlpatterns.append(path("bench/bare/", views.bare))

urlpatterns += i18n_patterns(
    path("partners/", include("accounts.urls")),
    path("", include("institutions.urls")),
)
