"""Staff admin for organisations, their competences, partner access and the OECD sector reference data.

French and English fields sit next to each other (modeltranslation's admin classes); models with history
also get simple_history's "History" page, from which staff can revert a change.
"""

from django.contrib import admin
from django.db.models import Count
from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from experiences.models import Experience

from .formsets import CompetenceFormSet
from .models import MAX_COMPETENCES, Competence, Membership, Organisation, Sector, SectorCategory


class CompetenceCategoryFilter(admin.SimpleListFilter):
    """Organisations with at least one competence in an OECD 3-digit category."""

    title = _("competence (sector category)")
    parameter_name = "competence_category"

    def lookups(self, request, model_admin):
        return [
            (c.code, str(c))
            for c in SectorCategory.objects.filter(sectors__competences__isnull=False).distinct()
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # A subquery rather than a join, so an organisation with two competences in the category is
        # listed once and the experience count annotation is not multiplied.
        matching = Competence.objects.filter(sector__category__code=self.value()).values("organisation_id")
        return queryset.filter(pk__in=matching)


class CompetenceInline(admin.TabularInline):
    model = Competence
    formset = CompetenceFormSet
    fields = ["rank", "sector"]
    autocomplete_fields = ["sector"]
    ordering = ["rank", "id"]
    max_num = MAX_COMPETENCES
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sector")


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "created"]
    readonly_fields = ["created"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = _("partner with access")
    verbose_name_plural = _("partners with access")


class ExperienceInline(admin.TabularInline):
    """A compact, read-only list; each row links to the full experience page (fundings, countries)."""

    model = Experience
    fields = ["title", "role", "start_date", "end_date", "cost"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        # Experiences are added on their own page, where countries and fundings can be given too.
        return False


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin, TranslationAdmin):
    list_display = ["name", "acronym", "country", "kind", "experience_count", "updated", "published"]
    list_filter = [("country", CountryFilter), "kind", CompetenceCategoryFilter, "published"]
    search_fields = ["name_fr", "name_en", "acronym", "city"]
    readonly_fields = ["version", "created", "updated"]
    fieldsets = [
        (None, {"fields": ["name", "acronym", "kind", "published"]}),
        (_("Address"), {"fields": ["street", "zip_code", "city", "country"]}),
        (_("Contact"), {"fields": ["website", "email", "telephone", "fax"]}),
        (_("General description"), {"fields": ["description"]}),
        (_("Record"), {"fields": ["slug", "version", "created", "updated"]}),
    ]
    inlines = [CompetenceInline, MembershipInline, ExperienceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_experiences=Count("experiences"))

    @admin.display(description=_("experiences"), ordering="n_experiences")
    def experience_count(self, obj):
        return obj.n_experiences

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "slug":
            formfield.help_text = _(
                "Left empty, it is made from the acronym (or the name). "
                "Changing it breaks links to the profile."
            )
        return formfield

    def view_on_site(self, obj):
        # The public profile page may not be wired up (or may be renamed); the admin must still work.
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:
            return None


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organisation", "created"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__email", "organisation__name_fr", "organisation__name_en", "organisation__acronym"]
    autocomplete_fields = ["user", "organisation"]


def _is_autocomplete(request):
    """True when the admin's autocomplete view asks for choices to put in a form field."""
    match = getattr(request, "resolver_match", None)
    return (match is not None and match.url_name == "autocomplete") or request.path.endswith("/autocomplete/")


class ActiveForNewInputMixin:
    """Withdrawn codes stay listed on their own changelist (old records use them) but are not offered by
    autocomplete widgets, so they cannot be chosen for new input."""

    def get_search_results(self, request, queryset, search_term):
        if _is_autocomplete(request):
            queryset = queryset.active()
        return super().get_search_results(request, queryset, search_term)


@admin.register(SectorCategory)
class SectorCategoryAdmin(ActiveForNewInputMixin, TranslationAdmin):
    list_display = ["code", "name", "withdrawn", "sector_count"]
    list_filter = ["withdrawn"]
    search_fields = ["code", "name_fr", "name_en"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_sectors=Count("sectors"))

    @admin.display(description=_("sectors"), ordering="n_sectors")
    def sector_count(self, obj):
        return obj.n_sectors


@admin.register(Sector)
class SectorAdmin(ActiveForNewInputMixin, TranslationAdmin):
    list_display = ["code", "name", "category", "withdrawn"]
    list_filter = ["withdrawn", "category"]
    list_select_related = ["category"]
    search_fields = ["code", "name_fr", "name_en"]
    autocomplete_fields = ["category"]
