from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    """The public pages: search (criteria, text search, facets), profile, print, feeds, exports. No models."""

    name = "directory"
    verbose_name = _("Directory")
