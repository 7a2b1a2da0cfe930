"""Staff admin for experiences (with their countries, fundings and participants), donors, and the participants
not listed in the directory (to link to a directory record, several rows naming one organisation at once)."""


from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from institutions.admin import BoundedInlineMixin, StaleEditAdminMixin, VersionedAdminForm, WithdrawnCodeFilter
from institutions.models import SectorCategory
from institutions.organisation_field import DirectoryOrganisationField

from .formsets import FundingFormSet, FundingsEditedTogetherMixin, ParticipantFormSet
from .history import restore_rows
from .models import (
    MAX_COUNTRIES,
    MAX_FUNDINGS,
    MAX_PARTICIPANTS,
    MAX_SECTORS,
    Donor,
    Experience,
    ExperienceCountry,
    Funding,
    Participant,
    check_sectors_count,
)


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


class WithdrawnSectorFilter(WithdrawnCodeFilter):
    def using_withdrawn(self):
        return Experience.sectors.through.objects.filter(sector__withdrawn=True).values("experience_id")


class CountriesFormSet(forms.BaseInlineFormSet):
    # Django formats it with the limit (MAX_COUNTRIES) as %(num)d.
    default_error_messages = {"too_many_forms": _("An experience lists at most %(num)d countries.")}


class ExperienceCountryInline(BoundedInlineMixin, admin.TabularInline):
    model = ExperienceCountry
    formset = CountriesFormSet
    fields = ["country"]
    extra = 1
    max_num = MAX_COUNTRIES


class FundingInline(BoundedInlineMixin, admin.TabularInline):
    model = Funding
    formset = FundingFormSet
    fields = ["donor", "amount"]
    autocomplete_fields = ["donor"]
    extra = 1
    max_num = MAX_FUNDINGS

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("donor")


class ParticipantInline(BoundedInlineMixin, admin.TabularInline):
    model = Participant
    formset = ParticipantFormSet
    fields = ["organisation", "name", "country", "kind", "role"]
    autocomplete_fields = ["organisation"]
    extra = 1
    max_num = MAX_PARTICIPANTS


class ExperienceAdminForm(FundingsEditedTogetherMixin, VersionedAdminForm):
    class Meta:
        model = Experience
        fields = ["organisation", "title", "role", "start_date", "end_date", "cost", "objectives", "results", "sectors"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Said here, in the language of the request (a lazy string would be formatted at import).
        self.fields["sectors"].help_text = _("At most %(max)d sectors.") % {"max": MAX_SECTORS}

    def clean_sectors(self):
        sectors = self.cleaned_data.get("sectors")
        check_sectors_count(sectors or [])
        return sectors


@admin.register(Experience)
class ExperienceAdmin(StaleEditAdminMixin, SimpleHistoryAdmin, TranslationAdmin):
    form = ExperienceAdminForm
    list_display = ["title", "organisation", "role", "start_date", "end_date", "cost"]
    list_filter = ["role", SectorCategoryFilter, CountryOfExperienceFilter, WithdrawnSectorFilter]
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
        (None, {"fields": ["organisation", "title", "role", "start_date", "end_date", "cost", "seen_version"]}),
        (_("Description"), {"fields": ["objectives", "results", "sectors"]}),
    ]
    inlines = [ExperienceCountryInline, FundingInline, ParticipantInline]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Reverting a deleted experience from its history also brings back its sectors, countries and
        fundings (simple-history restores the experience's own row only)."""
        restoring = (
            request.method == "POST"
            and str(object_id).isdigit()
            and not Experience.objects.filter(pk=object_id).exists()
        )
        with transaction.atomic():
            response = super().history_form_view(request, object_id, version_id, extra_context)
            experience = Experience.objects.filter(pk=object_id).first() if restoring else None
            if experience is not None:
                restore_rows(experience, experience.history.get(history_id=version_id))
        return response


class DonorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, donor):
        fundings = ngettext("%(count)d funding", "%(count)d fundings", donor.n_fundings) % {
            "count": donor.n_fundings
        }
        name = f" — {donor.name}" if donor.name and donor.name != donor.acronym else ""
        return f"{donor}{name} ({fundings}, #{donor.pk})"


class KeepDonorForm(forms.Form):
    keep = DonorChoiceField(
        queryset=Donor.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label=_("Donor to keep"),
    )

    def __init__(self, *args, donors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = donors
        self.fields["keep"].initial = donors.order_by("pk").first()


def merge_donors_into(kept, others):
    """Move every funding of `others` to `kept`, then delete `others`. Each funding is saved and each
    donor deleted one by one so history keeps the change (and staff can see where a funding came from).
    Returns the number of fundings moved."""
    moved = 0
    with transaction.atomic():
        for donor in others:
            reason = f"Merged into donor #{kept.pk} ({kept})"
            for funding in Funding.objects.filter(donor=donor):
                funding.donor = kept
                funding._change_reason = reason
                funding.save()
                moved += 1
            donor._change_reason = reason
            donor.delete()
    return moved


@admin.register(Donor)
class DonorAdmin(SimpleHistoryAdmin, TranslationAdmin):
    list_display = ["acronym", "name", "funding_count"]
    search_fields = ["acronym", "name_fr", "name_en"]
    actions = ["merge_donors"]

    @admin.action(description=_("Merge the selected donors into one"), permissions=["change", "delete"])
    def merge_donors(self, request, queryset):
        """First a page to choose the donor to keep (the oldest by default), then the merge."""
        donors = queryset.model.objects.filter(pk__in=queryset.values("pk")).annotate(n_fundings=Count("fundings"))
        if donors.count() < 2:
            self.message_user(request, _("Select at least two donors to merge."), messages.WARNING)
            return None
        form = KeepDonorForm(request.POST if "keep" in request.POST else None, donors=donors)
        if form.is_valid():
            kept = form.cleaned_data["keep"]
            others = [d for d in donors.order_by("pk") if d.pk != kept.pk]
            names = ", ".join(f"“{d}”" for d in others)
            moved = merge_donors_into(kept, others)
            message = ngettext(
                "%(count)d funding moved to “%(kept)s”; ",
                "%(count)d fundings moved to “%(kept)s”; ",
                moved,
            ) % {"count": moved, "kept": kept}
            message += ngettext(
                "donor %(names)s deleted.", "donors %(names)s deleted.", len(others)
            ) % {"names": names}
            self.message_user(request, message, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge donors"),
            "opts": self.model._meta,
            "form": form,
            "donors": donors.order_by("pk"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "merge_donors",
        }
        return TemplateResponse(request, "admin/experiences/donor/merge_donors.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_fundings=Count("fundings"))

    @admin.display(description=_("fundings"), ordering="n_fundings")
    def funding_count(self, obj):
        return obj.n_fundings


class ListedFilter(admin.SimpleListFilter):
    title = _("listed in the directory")
    parameter_name = "listed"

    def lookups(self, request, model_admin):
        return [("no", _("No: to link")), ("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(organisation__isnull=self.value() == "no")
        return queryset


def same_name(name):
    """How unlisted rows naming one organisation are found: the name, whatever its case and outer spaces."""
    return name.strip().casefold()


def link_participants(rows, organisation):
    """Link unlisted participant rows to a directory organisation (their name, country and kind cleared, so
    the row is the organisation's). A row whose action already lists that organisation is its duplicate and
    is deleted; a row of the organisation's own action is left as it is (not its own partner). Each row is
    saved or deleted one by one, so history keeps the change. Returns (linked, merged, skipped) counts."""
    linked = merged = skipped = 0
    reason = f"Linked to organisation #{organisation.pk} ({organisation.slug})"
    with transaction.atomic():
        for row in rows:
            experience = row.experience
            if experience.organisation_id == organisation.pk:
                skipped += 1
                continue
            row._change_reason = reason
            if experience.participants.filter(organisation=organisation).exists():
                row.delete()
                merged += 1
                continue
            row.organisation, row.name, row.country, row.kind = organisation, "", "", ""
            row.save()
            linked += 1
    return linked, merged, skipped


class LinkParticipantsForm(forms.Form):
    organisation = DirectoryOrganisationField(
        published_only=False,
        label=_("Organisation of the directory"),
        help_text=_("Its name, acronym or address in the directory, e.g. commune-de-ouagadougou."),
        error_messages={"not_found": _("No organisation of the directory has this name or address.")},
    )
    same_name = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Also link every other unlisted row with the same name"),
    )


@admin.register(Participant)
class ParticipantAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "country", "kind", "role", "experience", "owner"]
    list_filter = [ListedFilter, "role", "kind"]
    list_select_related = ["organisation", "experience__organisation"]
    search_fields = ["name", "organisation__name_fr", "organisation__name_en", "experience__title_fr"]
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["experience"]
    actions = ["link_to_directory"]

    @admin.display(description=_("owner of the action"), ordering="experience__organisation__sort_name_fr")
    def owner(self, obj):
        return obj.experience.organisation

    @admin.action(description=_("Link to an organisation of the directory"), permissions=["change", "delete"])
    def link_to_directory(self, request, queryset):
        """A page to name the directory organisation, then every selected unlisted row (and, if asked, every
        other unlisted row with the same name) becomes that organisation's participation."""
        selected = queryset.model.objects.filter(pk__in=queryset.values("pk"), organisation__isnull=True)
        if not selected.exists():
            self.message_user(request, _("Select unlisted participants (those with a name)."), messages.WARNING)
            return None
        form = LinkParticipantsForm(request.POST if "organisation" in request.POST else None)
        if form.is_valid():
            organisation = form.cleaned_data["organisation"]
            rows = list(selected.select_related("experience"))
            if form.cleaned_data["same_name"]:
                names = {same_name(row.name) for row in rows}
                others = Participant.objects.filter(organisation__isnull=True).exclude(pk__in=[r.pk for r in rows])
                rows += [row for row in others.select_related("experience") if same_name(row.name) in names]
            linked, merged, skipped = link_participants(rows, organisation)
            message = _(
                "Linked to “%(organisation)s”: %(linked)d; deleted as duplicates (their action already lists it): "
                "%(merged)d; left as they were (the organisation's own actions): %(skipped)d."
            ) % {"linked": linked, "merged": merged, "skipped": skipped, "organisation": organisation}
            self.message_user(request, message, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Link participants to an organisation of the directory"),
            "opts": self.model._meta,
            "form": form,
            "rows": selected.select_related("experience"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "link_to_directory",
        }
        return TemplateResponse(request, "admin/experiences/participant/link_to_directory.html", context)
