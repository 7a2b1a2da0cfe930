from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """Read-only open data: the JSON API (OpenAPI) and the IATI XML export. No models of its own."""

    name = "api"
    verbose_name = _("Open data")
