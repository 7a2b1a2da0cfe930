from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("Institutions")

    def ready(self):
        # Keeps Organisation.search_document up to date when an organisation, experience, funding or donor
        # changes.
        from . import search

        search.connect_signals()
