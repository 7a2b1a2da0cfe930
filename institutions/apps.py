from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("Institutions")

    def ready(self):
        from . import cache, facets, search

        cache.connect_signals()  # edits make cached public pages stale when they commit
        facets.connect_signals()  # the search criteria's facet values follow every edit, in its transaction
        # Keeps each organisation's SearchEntry, and its experiences' ExperienceSearchEntry, up to date when an
        # organisation, experience, funding, donor or sector changes.
        search.connect_signals()
