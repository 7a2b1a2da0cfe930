"""The sitemap: an index (/sitemap.xml) of sections of at most SITEMAP_SECTION_SIZE URLs each
(/sitemap-<section>.xml?p=N), every published profile once per language with its other-language
alternates. Each answer is cached per directory generation (platforma/urls.py): at 100,000 organisations a
section costs one query of plain values and about 5,000 URLs, and is made once per change."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import get_language

from institutions.models import Organisation

# Seconds a sitemap page stays cached: a change makes it stale at once anyway (a new generation).
CACHE_TIMEOUT = 24 * 60 * 60


class SectionSize:
    @property
    def limit(self):
        return settings.SITEMAP_SECTION_SIZE


class OrganisationSitemap(SectionSize, Sitemap):
    """Every published profile, once per language, each pointing to its other-language alternates."""

    i18n = True
    alternates = True
    x_default = True
    changefreq = "monthly"

    def __init__(self):
        self.profile_urls = {}  # language -> "/fr/organisations/{}/": one reverse() per language, not per URL

    def items(self):
        # Plain values (slug, updated), not model instances: the list is 100,000 long at scale.
        return list(Organisation.objects.published().order_by("pk").values_list("slug", "updated", named=True))

    def location(self, item):
        language = get_language()
        if language not in self.profile_urls:
            pattern = reverse("directory:profile", kwargs={"slug": "-slug-"})
            self.profile_urls[language] = pattern.replace("-slug-", "{}")
        return self.profile_urls[language].format(item.slug)

    def lastmod(self, item):
        return item.updated

    def get_latest_lastmod(self):
        return Organisation.objects.published().aggregate(latest=Max("updated"))["latest"]


class SearchSitemap(SectionSize, Sitemap):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["directory:search"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"organisations": OrganisationSitemap, "search": SearchSitemap}
