"""RSS 2.0 and Atom feeds of the newest/updated organisations matching the search page's criteria."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from institutions.templatetags.platforma import country_names

from .views import LONG_TEXT, organisation_search, profile_url_maker

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
        organisations = list(filterset.qs.defer(*LONG_TEXT).order_by("-updated", "pk")[:FEED_SIZE])
        # What each item shows, worked out once for the feed rather than asked of Django per item.
        url_of, names = profile_url_maker(), country_names(get_language() or settings.LANGUAGE_CODE)
        for organisation in organisations:
            organisation.feed_link = url_of(organisation.slug)
            organisation.country_name = names.get(organisation.country.code or "", "")
        return organisations

    def item_link(self, organisation):
        return organisation.feed_link

    def item_title(self, organisation):
        return str(organisation)

    def item_description(self, organisation):
        # Feed readers show a description as HTML (RSS <description>, Atom summary type="html"), and Django
        # only escapes it for XML: escape it for HTML too, or a city typed as markup would run there.
        return escape(", ".join(filter(None, [organisation.city, organisation.country_name])))

    def item_updateddate(self, organisation):
        return organisation.updated

    def item_pubdate(self, organisation):
        return organisation.updated


class OrganisationsAtomFeed(OrganisationsFeed):
    feed_type = Atom1Feed
    subtitle = OrganisationsFeed.description
