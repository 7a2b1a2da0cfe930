from django.core.management.base import BaseCommand

from institutions.facets import rebuild_facet_values
from institutions.models import Organisation
from institutions.search import refresh_search_documents


class Command(BaseCommand):
    help = (
        "Recompute every organisation's search document (the accent-folded text free-text search looks at). "
        "Saving through the site or the admin does this already; run it after bulk imports that bypass "
        "model signals. Writes only the search entries (institutions_searchentry) whose text changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        count = refresh_search_documents(Organisation.objects.all(), batch_size=options["batch_size"])
        self.stdout.write(f"{count} search documents updated.")
        rebuild_facet_values()
        self.stdout.write("Facet values rebuilt.")
