"""Staff admin for experiences (with their countries and fundings) and donors."""


from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from institutions.models import SectorCategory

from .formsets import FundingFormSet, FundingsEditedTogetherMixin
from .models import Donor, Experience, ExperienceCountry, Funding


class SectorCategoryFilter(admin.SimpleListFilter):
    """Experiences with at least one sector in an OECD 3-digit category."""

    title = _("sector category")
    parameter_name = "sector_category"

    def lookups(self, request, model_admin):
        return [
            (c.code, str(c))
            for c in SectorCategory.objects.filter(sectors__experiences__isnull=False).distinct()
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        matching = Experience.sectors.through.objects.filter(sector__category__code=self.value())
        return queryset.filter(pk__in=matching.values("experience_id"))


class CountryOfExperienceFilter(admin.SimpleListFilter):
    title = _("country of the experience")
    parameter_name = "worked_in"

    def lookups(self, request, model_admin):
        used = set(ExperienceCountry.objects.values_list("country", flat=True).distinct())
        field = ExperienceCountry._meta.get_field("country")
        return [(code, name) for code, name in field.get_choices(include_blank=False) if code in used]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        matching = ExperienceCountry.objects.filter(country=self.value()).values("experience_id")
        return queryset.filter(pk__in=matching)


class ExperienceCountryInline(admin.TabularInline):
    model = ExperienceCountry
    fields = ["country"]
    extra = 1


class FundingInline(admin.TabularInline):
    model = Funding
    formset = FundingFormSet
    fields = ["donor", "amount"]
    autocomplete_fields = ["donor"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("donor")


class ExperienceAdminForm(FundingsEditedTogetherMixin, forms.ModelForm):
    class Meta:
        model = Experience
        fields = ["organisation", "title", "role", "start_date", "end_date", "cost", "objectives", "results", "sectors"]


@admin.register(Experience)
class ExperienceAdmin(SimpleHistoryAdmin, TranslationAdmin):
    form = ExperienceAdminForm
    list_display = ["title", "organisation", "role", "start_date", "end_date", "cost"]
    list_filter = ["role", SectorCategoryFilter, CountryOfExperienceFilter]
    list_select_related = ["organisation"]
    search_fields = [
        "title_fr",
        "title_en",
        "organisation__name_fr",
        "organisation__name_en",
        "organisation__acronym",
    ]
    autocomplete_fields = ["organisation", "sectors"]
    fieldsets = [
        (None, {"fields": ["organisation", "title", "role", "start_date", "end_date", "cost"]}),
        (_("Description"), {"fields": ["objectives", "results", "sectors"]}),
    ]
    inlines = [ExperienceCountryInline, FundingInline]


@admin.register(Donor)
class DonorAdmin(SimpleHistoryAdmin, TranslationAdmin):
    list_display = ["acronym", "name", "funding_count"]
    search_fields = ["acronym", "name_fr", "name_en"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_fundings=Count("fundings"))

    @admin.display(description=_("fundings"), ordering="n_fundings")
    def funding_count(self, obj):
        return obj.n_fundings
