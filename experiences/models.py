from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from institutions.models import Organisation, Sector

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


def eur(amount):
    """An amount for a message, in the active language's number format: 1 200,00 / 1,200.00."""
    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def check_fundings_within_cost(cost, amounts, field=None):
    """The one rule for money: what the donors contribute together may not exceed the cost of the action.
    Used by the models (one row against the database) and by the formsets (all rows being saved)."""
    if cost is None:
        return
    total = sum((a for a in amounts if a is not None), Decimal("0"))
    if total > cost:
        message = _(
            "The donors' contributions would total %(total)s EUR, more than the cost of the action "
            "(%(cost)s EUR). Lower a contribution or raise the cost."
        ) % {"total": eur(total), "cost": eur(cost)}
        raise ValidationError({field: message} if field else message)


# Bounds on what one experience lists, stated by its forms. Each country and sector is a row that a save
# writes and the search index catches up with, so an unbounded list costs every visitor (issue 14). 30
# countries cover the widest regional programme (all of West Africa's 16 and Central Africa's 11 states,
# with room to spare); an OECD CRS project reports a handful of purpose codes, so 10 sectors leave twice
# the room any real one needs; 20 donors are ten times the most seen on one experience.
MAX_COUNTRIES = 30
MAX_SECTORS = 10
MAX_FUNDINGS = 20


def check_countries_count(countries):
    if len(countries) > MAX_COUNTRIES:
        raise ValidationError(
            _("An experience lists at most %(max)d countries; %(count)d are chosen. Keep the main ones.")
            % {"max": MAX_COUNTRIES, "count": len(countries)}
        )


def check_sectors_count(sectors):
    if len(sectors) > MAX_SECTORS:
        raise ValidationError(
            _("An experience lists at most %(max)d sectors; %(count)d are chosen. Keep the main ones.")
            % {"max": MAX_SECTORS, "count": len(sectors)}
        )


class Donor(models.Model):
    """Who funds actions, e.g. "CE – ANE-AL": European Commission, Non-State Actors and Local Authorities."""

    name = models.CharField(_("name"), max_length=255)
    acronym = models.CharField(_("acronym"), max_length=50, blank=True)

    class Meta:
        ordering = ["acronym", "name"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self):
        return self.acronym or self.name


class Experience(models.Model):
    """An action the organisation took part in."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        PARTNER = "partner", _("Partner")
        ASSOCIATE = "associate", _("Associate")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="experiences", verbose_name=_("organisation")
    )
    title = models.CharField(_("action title"), max_length=255)
    objectives = models.TextField(_("objectives of the action"), blank=True)
    results = models.TextField(_("results of the action"), blank=True)
    sectors = models.ManyToManyField(Sector, related_name="experiences", blank=True, verbose_name=_("sector(s)"))
    cost = models.DecimalField(_("cost of the action (EUR)"), null=True, blank=True, **MONEY)
    role = models.CharField(_("role in the action"), max_length=20, choices=Role.choices, db_index=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        ordering = ["organisation", "-start_date", "id"]
        verbose_name = _("experience")
        verbose_name_plural = _("experiences")
        indexes = [
            models.Index(fields=["start_date", "end_date"]),
            # Per organisation: the role and "active from/to" criteria and facets read only the index.
            models.Index(fields=["organisation", "role"]),
            models.Index(fields=["organisation", "start_date", "end_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="experience_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                name="experience_cost_not_negative",
                violation_error_message=_("The cost cannot be negative."),
            ),
        ]

    def __str__(self):
        return self.title

    def funded_total(self, exclude_funding=None):
        fundings = self.fundings.all()
        if exclude_funding is not None and exclude_funding.pk:
            fundings = fundings.exclude(pk=exclude_funding.pk)
        return fundings.aggregate(total=Sum("amount"))["total"] or Decimal("0")

    def clean(self):
        super().clean()
        if not (self.title_fr or self.title_en or self.title):
            raise ValidationError({"title": _("Give the action's title in French or English.")})
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
        # When the fundings are edited in the same form, their formset checks them against the new cost.
        if self.pk and not getattr(self, "fundings_checked_by_formset", False):
            check_fundings_within_cost(self.cost, [self.funded_total()], field="cost")


class ExperienceCountry(models.Model):
    """A country where an experience took place: one row per country so "worked in CI" is an indexed
    equality (CountryField(multiple=True) would store one comma-separated string)."""

    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="countries", verbose_name=_("experience")
    )
    country = CountryField(_("country"), db_index=True)

    class Meta:
        ordering = ["experience", "id"]
        # "Worked in": from a country to its experiences (the unique constraint covers the other way).
        indexes = [models.Index(fields=["country", "experience"])]
        verbose_name = _("country of the experience")
        verbose_name_plural = _("countries of the experience")
        constraints = [models.UniqueConstraint(fields=["experience", "country"], name="experience_country_once")]

    def __str__(self):
        return str(self.country.name)


class Funding(models.Model):
    """A donor's contribution to an experience. All fundings together may not exceed the cost."""

    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="fundings", verbose_name=_("experience")
    )
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="fundings", verbose_name=_("donor"))
    amount = models.DecimalField(_("amount contributed by donor (EUR)"), **MONEY)

    class Meta:
        ordering = ["experience", "id"]
        indexes = [models.Index(fields=["donor", "experience"]), models.Index(fields=["experience", "donor"])]
        verbose_name = _("funding")
        verbose_name_plural = _("fundings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0),
                name="funding_amount_not_negative",
                violation_error_message=_("The amount cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.donor}: {self.amount} EUR"

    def clean(self):
        super().clean()
        # A formset saving several fundings at once checks their sum itself (see FundingFormSet).
        if self.experience_id is None or getattr(self, "checked_as_a_set", False):
            return
        others = self.experience.funded_total(exclude_funding=self)
        check_fundings_within_cost(self.experience.cost, [others, self.amount], field="amount")


# Participants besides the owner: a consortium of a few towns, regions and their associations. 30 is three
# times the largest EU-funded decentralised-cooperation consortium seen on the Committee of the Regions' Atlas.
MAX_PARTICIPANTS = 30


class Participant(models.Model):
    """Another organisation that took part in an experience, with its role in that action: one of the
    directory (linked), or one not listed here (its name, country and kind), which staff can later link to
    a directory record. The experience's owner is not a participant of its own action."""

    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="participants", verbose_name=_("experience")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="participations",
        verbose_name=_("organisation of the directory"),
    )
    name = models.CharField(
        _("name of an organisation not listed here"),
        max_length=255,
        blank=True,
        help_text=_("Only when the organisation is not in the directory."),
    )
    country = CountryField(_("country"), blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Organisation.Kind.choices, blank=True)
    role = models.CharField(_("role of this participant"), max_length=20, choices=Experience.Role.choices)

    class Meta:
        ordering = ["experience", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [models.Index(fields=["organisation", "experience"])]
        constraints = [
            models.UniqueConstraint(
                fields=["experience", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="participant_organisation_once",
                violation_error_message=_("This organisation is already a participant of this action."),
            ),
            models.UniqueConstraint(
                fields=["experience", "name"],
                condition=models.Q(organisation__isnull=True),
                name="participant_name_once",
                violation_error_message=_("This organisation is already a participant of this action."),
            ),
            # Exactly one of the two: a directory organisation, or the name of one not listed here.
            models.CheckConstraint(
                condition=(models.Q(organisation__isnull=False) & models.Q(name=""))
                | (models.Q(organisation__isnull=True) & ~models.Q(name="")),
                name="participant_listed_or_named",
                violation_error_message=_(
                    "Choose an organisation of the directory or type the name of one not listed here, not both."
                ),
            ),
        ]

    def __str__(self):
        return str(self.organisation) if self.organisation_id else self.name

    @property
    def listed(self):
        return self.organisation_id is not None

    def clean(self):
        super().clean()
        self.name = self.name.strip()
        if self.organisation_id is None and not self.name:
            raise ValidationError(_("Choose an organisation of the directory or type the name of one not listed here."))
        if self.organisation_id is not None and self.name:
            raise ValidationError(
                {
                    "name": _(
                        "Choose an organisation of the directory or type the name of one not listed here, not both."
                    )
                }
            )
        # The experience may be new (being added with its participants): its owner is already known.
        try:
            experience = self.experience
        except Experience.DoesNotExist:
            experience = None
        if self.organisation_id is not None and experience is not None:
            if self.organisation_id == experience.organisation_id:
                raise ValidationError(
                    {"organisation": _("An organisation is not its own partner: choose another organisation.")}
                )


def check_participants_count(count):
    if count > MAX_PARTICIPANTS:
        raise ValidationError(
            _("An experience lists at most %(max)d participants; %(count)d are given. Keep the main ones.")
            % {"max": MAX_PARTICIPANTS, "count": count}
        )


class ExperienceSearchEntry(models.Model):
    """What the experiences list's free text looks at for one experience (institutions.search), in a narrow
    table of its own like the organisations' SearchEntry: `document`, the accent-folded text of its title,
    objectives and results, its sectors' codes and names and its countries' names, in both languages; on
    PostgreSQL `vector`, its French and English stems, with a GIN index; on SQLite an FTS5 row of those
    stems instead (migration 0005). Written whenever its organisation's search entry is."""

    experience = models.OneToOneField(
        Experience, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    document = models.TextField(blank=True, default="")
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("experience search entry")
        verbose_name_plural = _("experience search entries")

    def __str__(self):
        return str(self.experience_id)
