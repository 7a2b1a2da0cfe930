from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

# "/" has no language prefix: LocaleMiddleware redirects it to /fr/ or /en/ from Accept-Language.
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
]

urlpatterns += i18n_patterns(
    path("partners/", include("accounts.urls")),
    path("", include("institutions.urls")),
)

# Custom 500 view: renders without the request, and answers 503 when the database is unreachable.
handler500 = "platforma.views.server_error"
