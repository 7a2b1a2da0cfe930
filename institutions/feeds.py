"""RSS 2.0 and Atom feeds of the newest/updated organisations matching the search page's criteria."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from .views import organisation_search

FEED_SIZE = 50


class OrganisationsFeed(Feed):
    def get_object(self, request):
        return organisation_search(request)

    def title(self, filterset):
        return _("Platforma – organisations updated recently")

    def link(self, filterset):
        query = filterset.querystring()
        return reverse("directory:search") + (f"?{query}" if query else "")

    def description(self, filterset):
        return _("The newest and most recently updated organisations matching this search.")

    def items(self, filterset):
        return filterset.qs.order_by("-updated", "pk")[:FEED_SIZE]

    def item_title(self, organisation):
        return str(organisation)

    def item_description(self, organisation):
        # Feed readers show a description as HTML (RSS <description>, Atom summary type="html"), and Django
        # only escapes it for XML: escape it for HTML too, or a city typed as markup would run there.
        return escape(", ".join(filter(None, [organisation.city, str(organisation.country.name)])))

    def item_updateddate(self, organisation):
        return organisation.updated

    def item_pubdate(self, organisation):
        return organisation.updated


class OrganisationsAtomFeed(OrganisationsFeed):
    feed_type = Atom1Feed
    subtitle = OrganisationsFeed.description
