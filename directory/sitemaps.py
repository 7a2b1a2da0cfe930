from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from institutions.models import Organisation


class OrganisationSitemap(Sitemap):
    """Every published profile, once per language, each pointing to its other-language alternates."""

    i18n = True
    alternates = True
    x_default = True
    changefreq = "monthly"

    def items(self):
        return Organisation.objects.published().only("slug", "updated").order_by("pk")

    def lastmod(self, organisation):
        return organisation.updated


class SearchSitemap(Sitemap):
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
