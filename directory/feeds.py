"""RSS 2.0 and Atom feeds of the newest/updated organisations matching the search page's criteria."""

from types import SimpleNamespace

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.templatetags.static import static
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, Stylesheet
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator

from experiences.models import Experience
from institutions.formatting import country_names
from institutions.models import Competence

from .experience_views import experience_list_rows, experience_search
from .views import LONG_TEXT, organisation_search, profile_url_maker

FEED_SIZE = 50
LATEST_EXPERIENCES = 3  # shown in an item's description


# Served as application/xml, which feed readers take as well: browsers show application/rss+xml and
# application/atom+xml as plain text, without applying the stylesheet that explains how to subscribe.
XML = "application/xml; charset=utf-8"


class StyledRssFeed(Rss201rev2Feed):
    content_type = XML


class StyledAtom1Feed(Atom1Feed):
    """Atom with the feed's stylesheets (Django writes them in RSS only): <?xml-stylesheet?> before the root."""

    content_type = XML

    def add_stylesheets(self, handler):
        for stylesheet in self.feed["stylesheets"] or []:
            handler.processingInstruction("xml-stylesheet", stylesheet)

    def write(self, outfile, encoding):
        handler = SimplerXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        self.add_stylesheets(handler)
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")


class OrganisationsFeed(Feed):
    feed_type = StyledRssFeed
    # An item's description: kind, place, competences and latest experiences, as HTML (autoescaped once).
    description_template = "directory/feed_item_description.html"

    def stylesheets(self):
        # Opened in a browser, the feed shows as a page explaining how to subscribe (static/feeds/feed.xsl).
        return [Stylesheet(static("feeds/feed.xsl"), mimetype="text/xsl")]

    def get_object(self, request):
        filterset = organisation_search(request)
        filterset.absolute_uri = request.build_absolute_uri  # for the items' guids
        return filterset

    def title(self, filterset):
        return _("Platforma – organisations updated recently")

    def link(self, filterset):
        query = filterset.querystring()
        return reverse("directory:search") + (f"?{query}" if query else "")

    def description(self, filterset):
        return _("The newest and most recently updated organisations matching this search.")

    def items(self, filterset):
        latest = Experience.objects.only("organisation_id", "title", "title_fr", "title_en", "start_date", "end_date")
        organisations = list(
            filterset.qs.defer(*LONG_TEXT)
            .order_by("-updated", "pk")
            .prefetch_related(
                Prefetch("competences", Competence.objects.select_related("sector").order_by("rank")),
                Prefetch("experiences", latest.order_by("-start_date", "-id"), to_attr="feed_experiences"),
            )[:FEED_SIZE]
        )
        # What each item shows, worked out once for the feed rather than asked of Django per item.
        url_of, names = profile_url_maker(), country_names(get_language() or settings.LANGUAGE_CODE)
        absolute = filterset.absolute_uri
        for organisation in organisations:
            organisation.feed_link = url_of(organisation.slug)
            organisation.feed_guid = f"{absolute(organisation.feed_link)}#updated-{organisation.updated.isoformat()}"
            organisation.country_name = names.get(organisation.country.code or "", "")
            organisation.feed_experiences = organisation.feed_experiences[:LATEST_EXPERIENCES]
        return organisations

    def item_link(self, organisation):
        return organisation.feed_link

    # item_title is Django's: the name escaped for HTML, since readers show titles as HTML (ticket #6533).

    def item_guid(self, organisation):
        # The profile's address and when it was updated: readers show an updated profile as a new item.
        return organisation.feed_guid

    def item_guid_is_permalink(self, organisation):
        return False

    def item_updateddate(self, organisation):
        return organisation.updated

    def item_pubdate(self, organisation):
        return organisation.updated


class OrganisationsAtomFeed(OrganisationsFeed):
    feed_type = StyledAtom1Feed
    subtitle = OrganisationsFeed.description


class ExperiencesFeed(Feed):
    """The newest and most recently updated experiences matching the experiences list's criteria."""

    feed_type = StyledRssFeed
    description_template = "directory/feed_experience_description.html"
    stylesheets = OrganisationsFeed.stylesheets

    def get_object(self, request):
        filterset = experience_search(request)
        filterset.absolute_uri = request.build_absolute_uri
        return filterset

    def title(self, filterset):
        return _("Platforma – experiences updated recently")

    def link(self, filterset):
        query = filterset.querystring()
        return reverse("directory:experiences") + (f"?{query}" if query else "")

    def description(self, filterset):
        return _("The newest and most recently updated experiences matching this search.")

    def items(self, filterset):
        updated = dict(filterset.narrowed().order_by("-updated", "-pk").values_list("pk", "updated")[:FEED_SIZE])
        return [
            SimpleNamespace(
                row=row,
                updated=updated[row.experience.pk],
                guid=f"{filterset.absolute_uri(row.url)}-updated-{updated[row.experience.pk].isoformat()}",
            )
            for row in experience_list_rows(list(updated))
        ]

    def item_title(self, item):
        return escape(item.row.experience.title.text)  # readers show titles as HTML (Django ticket #6533)

    def item_link(self, item):
        return item.row.url

    def item_guid(self, item):
        return item.guid

    def item_guid_is_permalink(self, item):
        return False

    def item_updateddate(self, item):
        return item.updated

    def item_pubdate(self, item):
        return item.updated


class ExperiencesAtomFeed(ExperiencesFeed):
    feed_type = StyledAtom1Feed
    subtitle = ExperiencesFeed.description
