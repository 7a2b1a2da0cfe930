"""/api/: the JSON API (v1), its OpenAPI 3 schema and its documentation, served from our own static files."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import v1

app_name = "api"

urlpatterns = [
    path("v1/organisations/", v1.OrganisationList.as_view(), name="organisations"),
    path("v1/organisations/<str:slug>/", v1.OrganisationDetail.as_view(), name="organisation"),
    path(
        "v1/organisations/<str:slug>/experiences/",
        v1.OrganisationExperiences.as_view(),
        name="organisation_experiences",
    ),
    path("v1/organisations/<str:slug>/iati/", v1.OrganisationIati.as_view(), name="organisation_iati"),
    path("v1/iati/", v1.SearchIati.as_view(), name="iati"),
    path("v1/sectors/", v1.SectorList.as_view(), name="sectors"),
    path("v1/sector-categories/", v1.SectorCategoryList.as_view(), name="sector_categories"),
    path("v1/donors/", v1.DonorList.as_view(), name="donors"),
    path("v1/countries/", v1.CountryList.as_view(), name="countries"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its script from a URL of its own: no inline script, so the site's CSP holds.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    re_path(r"", v1.not_found),
]
