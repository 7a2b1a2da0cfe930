from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

MAX_COMPETENCES = 5

# An organisation identifier as org-id.guide and IATI define it: a registration agency's prefix (ISO 3166
# country code, or XI/XM for international lists, a hyphen, the list's code: FR-RNA, GB-COH, XM-DAC), a
# hyphen, then the organisation's number in that list, without spaces or the characters IATI forbids.
IATI_IDENTIFIER_PATTERN = r"^[A-Z]{2}-[A-Z0-9]{2,}-[A-Za-z0-9][A-Za-z0-9._:-]*$"


# The organisation's own one-language fields, in the profile page's order: the partner form, the import, the
# exports and the demo data list these (with the translated name and description around them).
PROFILE_FIELDS = ["acronym", "kind", "street", "zip_code", "city", "country", "website", "email", "telephone", "fax"]


class SectorQuerySet(models.QuerySet):
    def active(self):
        """Codes that may be chosen for new input; withdrawn ones stay for old records."""
        return self.filter(withdrawn=False)


class SectorCode(models.Model):
    """What an OECD DAC code of either level holds besides its code: its name and description (translated),
    and whether the OECD has withdrawn it (kept for the records that still use it)."""

    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    withdrawn = models.BooleanField(_("withdrawn"), default=False)

    objects = SectorQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class SectorCategory(SectorCode):
    """An OECD DAC 3-digit sector category, e.g. 140 Water supply & sanitation."""

    code = models.CharField(_("code"), max_length=3, unique=True)

    class Meta(SectorCode.Meta):
        verbose_name = _("sector category")
        verbose_name_plural = _("sector categories")


class Sector(SectorCode):
    """An OECD DAC/CRS 5-digit purpose code, e.g. 14030 Basic drinking water supply."""

    code = models.CharField(_("code"), max_length=5, unique=True)
    category = models.ForeignKey(
        SectorCategory, on_delete=models.PROTECT, related_name="sectors", verbose_name=_("category")
    )

    class Meta(SectorCode.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class OrganisationQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: the one definition used by pages, feeds, sitemap and exports."""
        return self.filter(published=True)


class Organisation(models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        REGIONAL_AUTHORITY = "regional", _("Regional authority")
        NATIONAL_ASSOCIATION = "national_association", _("National association of LRAs")
        INTERNATIONAL_NETWORK = "international_network", _("International network")
        OTHER = "other", _("Other")

    name = models.CharField(_("organisation"), max_length=255)
    acronym = models.CharField(_("acronym"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.MUNICIPALITY)
    street = models.CharField(_("street & number"), max_length=255, blank=True)
    zip_code = models.CharField(_("ZIP"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    country = CountryField(_("country"), db_index=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    telephone = models.CharField(_("telephone number"), max_length=40, blank=True)
    fax = models.CharField(_("fax number"), max_length=40, blank=True)
    description = models.TextField(_("general description"), blank=True)
    iati_identifier = models.CharField(
        _("IATI organisation identifier"),
        max_length=100,
        blank=True,
        validators=[
            RegexValidator(
                IATI_IDENTIFIER_PATTERN,
                _(
                    "Write the identifier as org-id.guide gives it: the list's prefix, a hyphen, then the "
                    "number in that list, for example FR-RNA-W751234567 or XM-DAC-41114."
                ),
            )
        ],
        help_text=_(
            "Optional. The organisation's identifier from org-id.guide (e.g. FR-RNA-W751234567), used in its "
            "IATI export. Without it the export uses the directory's own prefix."
        ),
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True, blank=True)
    published = models.BooleanField(_("published"), default=True, db_index=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("last updated"), auto_now=True, db_index=True)
    # Incremented on every save: a form that was opened on an older version is refused instead of
    # silently overwriting someone else's change (optimistic locking).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # The name as lists sort it in each language (the other language's name when one is missing), folded:
    # accents and capitals ignored ("Évry" between "Dakar" and "Zurich"). Set on every save (set_sort_names).
    sort_name_fr = models.CharField(max_length=255, blank=True, default="", editable=False)
    sort_name_en = models.CharField(max_length=255, blank=True, default="", editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["published", "updated"]),
            # Sort by name in the active language (sort_name_<lang>), public rows only: the first page and a
            # deep page are read from the index, in order.
            *(
                models.Index(f"sort_name_{lang}", "id", name=f"organisation_sort_{lang}", condition=Q(published=True))
                for lang in ("fr", "en")
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        if self.pk:
            self.version += 1
        self.set_sort_names()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "sort_name_fr", "sort_name_en"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("directory:profile", kwargs={"slug": self.slug})

    def set_sort_names(self):
        from .text import fold

        names = (getattr(self, "name_fr", "") or "", getattr(self, "name_en", "") or "")
        self.sort_name_fr = fold(names[0] or names[1])[:255]
        self.sort_name_en = fold(names[1] or names[0])[:255]

    def _unique_slug(self):
        # The acronym makes a short, stable URL (/organisations/aimf/); the name when there is none.
        base = slugify(self.acronym or self.name_fr or self.name_en or self.name)[:100].strip("-") or "organisation"
        slug, n = base, 2
        while Organisation.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    def clean(self):
        super().clean()
        if not (getattr(self, "name_fr", "") or getattr(self, "name_en", "") or self.name):
            raise ValidationError({"name": _("Give the organisation's name in French or English.")})


class SearchEntry(models.Model):
    """What free-text search reads for one organisation, in a narrow table of its own (institutions.search).

    `document` is the accent-folded text of everything search looks at, on three lines, one per relevance
    band: names and acronym; sectors (codes and names of competences, their categories, and experiences'
    sectors); everything else. On PostgreSQL the vectors hold the French and English stems of the first
    line, of the first two, and of all three (weighted A, B, C), each with a GIN index (migration 0005);
    on SQLite they stay empty and an FTS5 table holds the stems instead. Why a table of its own: a common
    word matches half the directory, and PostgreSQL visits the row of every match; rows of a few dozen bytes
    (large values stored apart) are read several times faster than the organisation rows."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    document = models.TextField(blank=True, default="")
    # The start of the document's first line (names): matches equally relevant are listed by it, read from
    # the row itself (a join to the organisations cost more than the search at 100,000).
    names = models.CharField(max_length=100, blank=True, default="")
    name_vector = SearchVectorField(null=True, editable=False)
    sector_vector = SearchVectorField(null=True, editable=False)
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self):
        return str(self.organisation_id)


class FacetValue(models.Model):
    """One value a published organisation has for one search facet ("worked_in" = "BF"): the search
    criteria and their facet counts read this narrow table only (directory/criteria.py), so a count is one
    GROUP BY over indexed rows instead of joins across experiences, countries, sectors and fundings.
    Kept in the same transaction as the data it comes from, by institutions/facets.py."""

    # Indexed by the (organisation, facet, value) index below, which also serves counts from the index alone.
    PUBLISHED = "published"  # a facet every organisation here has ("yes"): the set of published ones
    PARTNER_OF = "partner_of"  # "Worked with": the id of an organisation it worked with (institutions/facets.py)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    facet = models.CharField(max_length=32)
    value = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("facet value")
        verbose_name_plural = _("facet values")
        constraints = [
            models.UniqueConstraint(fields=["facet", "value", "organisation"], name="facet_value_unique"),
        ]
        indexes = [models.Index(fields=["organisation", "facet", "value"], name="facet_value_organisation")]

    def __str__(self):
        return f"{self.organisation_id} {self.facet}={self.value}"


class BitStringField(models.Field):
    """A PostgreSQL `bit varying` column, read as a string of "0" and "1" and written as one or in hexadecimal
    ("x…", institutions/bitmaps.py) (other databases: text)."""

    def db_type(self, connection):
        return "bit varying" if connection.vendor == "postgresql" else "text"


class FacetBitmap(models.Model):
    """Which published organisations have one facet value, as a bitmap (PostgreSQL only): bit i of chunk c
    is the organisation with id c * CHUNK + i. The facet counts of a search are then one AND and one bit
    count per value, whatever the number of organisations (institutions/bitmaps.py). Derived from
    FacetValue and kept in the same transaction."""

    facet = models.CharField(max_length=32)
    value = models.CharField(max_length=32)
    chunk = models.PositiveIntegerField()
    bits = BitStringField()

    class Meta:
        verbose_name = _("facet bitmap")
        verbose_name_plural = _("facet bitmaps")
        constraints = [
            models.UniqueConstraint(fields=["chunk", "facet", "value"], name="facet_bitmap_unique"),
        ]

    def __str__(self):
        return f"{self.facet}={self.value} [{self.chunk}]"


class SearchWord(models.Model):
    """A word of some search document (PostgreSQL only): a misspelt query word is compared with these by
    trigram similarity to suggest a correction (institutions.search.suggestion)."""

    word = models.CharField(max_length=100, primary_key=True)

    def __str__(self):
        return self.word


class Competence(models.Model):
    """A field of competence: one of at most five OECD sectors, ranked."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="competences", verbose_name=_("organisation")
    )
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="competences", verbose_name=_("sector"))
    rank = models.PositiveSmallIntegerField(
        _("rank"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_COMPETENCES)]
    )

    class Meta:
        ordering = ["organisation", "rank", "id"]
        # Facet counts and the sector criterion go from a sector to its organisations.
        indexes = [models.Index(fields=["sector", "organisation"])]
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sector"],
                name="competence_sector_once",
                violation_error_message=_("This sector is already one of the organisation's competences."),
            ),
            models.CheckConstraint(
                condition=models.Q(rank__gte=1, rank__lte=MAX_COMPETENCES),
                name="competence_rank_1_to_5",
                violation_error_message=_("The rank must be between 1 and 5."),
            ),
        ]

    def __str__(self):
        return str(self.sector)

    def clean(self):
        super().clean()
        if self.sector_id and self.sector.withdrawn and (self._state.adding or self._sector_changed()):
            raise ValidationError({"sector": _("This OECD code has been withdrawn; choose a current one.")})
        # A formset saving all competences at once counts them itself (see CompetenceFormSet).
        if self.organisation_id is None or getattr(self, "checked_as_a_set", False):
            return
        others = Competence.objects.filter(organisation_id=self.organisation_id).exclude(pk=self.pk)
        if others.count() >= MAX_COMPETENCES:
            raise ValidationError(
                _("An organisation has at most %(max)d fields of competence.") % {"max": MAX_COMPETENCES}
            )

    def _sector_changed(self):
        return not Competence.objects.filter(pk=self.pk, sector_id=self.sector_id).exists()


class ImportRun(models.Model):
    """A file uploaded in the admin to import organisations: checked first (a dry run), then imported when
    staff confirm. The background worker does both (institutions/tasks.py); the admin page shows the progress."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("being checked")
        CHECKED = "checked", _("checked, waiting for confirmation")
        IMPORTING = "importing", _("being imported")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    # Importing creates and changes organisations and their experiences: staff need all four.
    PERMISSIONS = [
        "institutions.add_organisation",
        "institutions.change_organisation",
        "experiences.add_experience",
        "experiences.change_experience",
    ]
    MAX_BYTES = 5 * 1024 * 1024
    MAX_ROWS = 20_000
    BATCH = 100  # rows committed together while importing: the progress moves by this step

    file_name = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(editable=False)  # emptied once imported
    language = models.CharField(max_length=10, editable=False)  # the reports' language: the uploader's
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created = models.DateTimeField(_("uploaded"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(default=0)
    checked = models.JSONField(null=True, editable=False)  # the dry run's report
    imported = models.JSONField(null=True, editable=False)  # the import's report
    error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return self.file_name

    @property
    def running(self):
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)
