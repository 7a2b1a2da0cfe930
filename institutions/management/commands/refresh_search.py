from django.core.management.base import BaseCommand

from institutions.facets import rebuild_facet_values
from institutions.models import Organisation
from institutions.search import rebuild_search_words, refresh_search_documents


class Command(BaseCommand):
    help = (
        "Recompute every organisation's and every experience's search entry (the accent-folded text free-text "
        "search looks at, and its vectors on PostgreSQL or its FTS5 row on SQLite), then, on PostgreSQL, the "
        "list of words typo suggestions choose from. Saving through the site or the admin does this already; "
        "run it after migrating and after bulk imports that bypass model signals. Writes only the search "
        "entries (institutions_searchentry, experiences_experiencesearchentry) whose text changed, and the "
        "words table (institutions_searchword)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--force", action="store_true", help="rewrite every entry, even unchanged ones (after a change of indexing)"
        )

    def handle(self, *args, **options):
        count = refresh_search_documents(
            Organisation.objects.all(), batch_size=options["batch_size"], force=options["force"]
        )
        self.stdout.write(f"{count} search documents updated.")
        words = rebuild_search_words()
        if words:
            self.stdout.write(f"{words} words offered to typo suggestions.")
        rebuild_facet_values()
        self.stdout.write("Facet values rebuilt.")
