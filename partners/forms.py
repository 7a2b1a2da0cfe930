"""Partner editing forms: general information, competences, experiences with their fundings and participants.

ModelForms run the models' own validation (full_clean), so the rules live in one place; the extra checks
here are those that need every row of a formset at once (no sector twice, the sum of fundings).
"""

import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from experiences.formsets import FundingFormSet as SharedFundingFormSet
from experiences.formsets import FundingsEditedTogetherMixin, ParticipantFormSet
from experiences.models import (
    MAX_COUNTRIES,
    MAX_FUNDINGS,
    MAX_PARTICIPANTS,
    MAX_SECTORS,
    Donor,
    Experience,
    Funding,
    Participant,
    check_countries_count,
    check_sectors_count,
)
from institutions.amounts import AmountField
from institutions.models import MAX_COMPETENCES, PROFILE_FIELDS, Organisation, Sector
from institutions.organisation_field import DirectoryOrganisationField

from .models import DonorProposal

TEXTAREA = {"rows": 8, "cols": 40}
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class TranslatedErrorsMixin:
    """The models report a missing name or title on `name`/`title`, a field the form shows as `name_fr`
    and `name_en`: put such errors next to the French field (or on top of the form) instead of crashing."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            for field in list(errors.error_dict):
                if field == NON_FIELD_ERRORS or field in self.fields:
                    continue
                target = f"{field}_fr" if f"{field}_fr" in self.fields else NON_FIELD_ERRORS
                errors.error_dict.setdefault(target, []).extend(errors.error_dict.pop(field))
        super()._update_errors(errors)


def sector_choices(sectors):
    """Sectors grouped by OECD category, for a <select> with one <optgroup> per category: works without
    JavaScript, and typing the code jumps to it."""
    groups = {}
    for sector in sectors:
        groups.setdefault(str(sector.category), []).append((sector.pk, str(sector)))
    return list(groups.items())


def offered_sectors(kept_ids=()):
    """Active sectors, plus the withdrawn ones a record already uses (kept, not offered to others)."""
    return (
        Sector.objects.filter(Q(withdrawn=False) | Q(pk__in=list(kept_ids))).select_related("category").order_by("code")
    )


WITHDRAWN = _("This OECD code has been withdrawn; choose a current one.")


class ModelIdsField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows by id that refuses an id beyond any integer column before the database
    sees it: SQLite raises OverflowError on `id IN (9223372036854775808)` (a 500) instead of matching
    nothing. Any other unknown id is refused by Django as usual."""

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else [value]:
            try:
                out_of_range = not -(2**63) <= int(str(pk).strip()) < 2**63
            except ValueError:
                continue  # not a number: Django refuses it itself
            if out_of_range:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class OrganisationForm(TranslatedErrorsMixin, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name_fr", "name_en", *PROFILE_FIELDS, "description_fr", "description_en", "iati_identifier"]
        labels = {
            "name_fr": _("Name in French"),
            "name_en": _("Name in English"),
            "description_fr": _("General description in French"),
            "description_en": _("General description in English"),
        }
        widgets = {
            "description_fr": forms.Textarea(attrs={**TEXTAREA, "lang": "fr", "rows": 14}),
            "description_en": forms.Textarea(attrs={**TEXTAREA, "lang": "en", "rows": 14}),
            "name_fr": forms.TextInput(attrs={"lang": "fr"}),
            "name_en": forms.TextInput(attrs={"lang": "en"}),
        }

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("name_fr") or cleaned.get("name_en")):
            self.add_error("name_fr", _("Give the organisation's name in French or English."))
        return cleaned


class CompetenceForm(forms.Form):
    sector = forms.ModelChoiceField(queryset=Sector.objects.all(), required=False, label=_("Sector"))

    def __init__(self, *args, choices=(), kept_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_ids = set(kept_ids)
        self.fields["sector"].choices = [("", _("– none –")), *choices]

    def clean_sector(self):
        sector = self.cleaned_data.get("sector")
        if sector and sector.withdrawn and sector.pk not in self.kept_ids:
            raise ValidationError(WITHDRAWN)
        return sector


class BaseCompetenceFormSet(forms.BaseFormSet):
    """Five ranked rows; empty rows are skipped and the rest ranked in the order shown."""

    # Django formats it with the limit as %(num)d; more rows than that is refused as a whole.
    default_error_messages = {"too_many_forms": _("An organisation has at most %(num)d fields of competence.")}

    def __init__(self, data=None, *, organisation, **kwargs):
        self.organisation = organisation
        self.current = list(organisation.competences.select_related("sector").order_by("rank", "id"))
        kept_ids = [c.sector_id for c in self.current]
        choices = sector_choices(offered_sectors(kept_ids))
        super().__init__(
            data,
            initial=[{"sector": c.sector_id} for c in self.current],
            form_kwargs={"choices": choices, "kept_ids": kept_ids},
            **kwargs,
        )

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            sector = form.cleaned_data.get("sector")
            if sector is None:
                continue
            if sector.pk in seen:
                form.add_error("sector", _("You chose this sector more than once; choose each sector once."))
            seen.add(sector.pk)

    def chosen_sectors(self):
        return [form.cleaned_data["sector"] for form in self.forms if form.cleaned_data.get("sector")]

    def save(self):
        """Keep the rows whose sector stays (their history continues), re-rank, add and remove the rest."""
        chosen = self.chosen_sectors()
        existing = {c.sector_id: c for c in self.current}
        for competence in self.current:
            if competence.sector_id not in {s.pk for s in chosen}:
                competence.delete()
        for rank, sector in enumerate(chosen, start=1):
            competence = existing.get(sector.pk)
            if competence is None:
                self.organisation.competences.create(sector=sector, rank=rank)
            elif competence.rank != rank:
                competence.rank = rank
                competence.save(update_fields=["rank"])


CompetenceFormSet = forms.formset_factory(
    CompetenceForm,
    formset=BaseCompetenceFormSet,
    extra=MAX_COMPETENCES,
    max_num=MAX_COMPETENCES,
    # Django's default builds up to 1,000 more forms than max_num from a forged TOTAL_FORMS.
    absolute_max=MAX_COMPETENCES,
    validate_max=True,
)


class ExperienceForm(FundingsEditedTogetherMixin, TranslatedErrorsMixin, forms.ModelForm):
    countries = forms.MultipleChoiceField(
        label=_("Country(ies)"),
        choices=lambda: list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Experience
        fields = [
            "title_fr", "title_en", "objectives_fr", "objectives_en", "results_fr", "results_en",
            "sectors", "countries", "cost", "role", "start_date", "end_date",
        ]  # fmt: skip
        field_classes = {"sectors": ModelIdsField, "cost": AmountField}
        labels = {
            "title_fr": _("Action title in French"),
            "title_en": _("Action title in English"),
            "objectives_fr": _("Objectives in French"),
            "objectives_en": _("Objectives in English"),
            "results_fr": _("Results in French"),
            "results_en": _("Results in English"),
        }
        widgets = {
            "title_fr": forms.TextInput(attrs={"lang": "fr"}),
            "title_en": forms.TextInput(attrs={"lang": "en"}),
            "objectives_fr": forms.Textarea(attrs={**TEXTAREA, "lang": "fr"}),
            "objectives_en": forms.Textarea(attrs={**TEXTAREA, "lang": "en"}),
            "results_fr": forms.Textarea(attrs={**TEXTAREA, "lang": "fr"}),
            "results_en": forms.Textarea(attrs={**TEXTAREA, "lang": "en"}),
            "sectors": forms.SelectMultiple(attrs={"size": 10}),
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_ids = set(self.instance.sectors.values_list("pk", flat=True)) if self.instance.pk else set()
        self.fields["sectors"].choices = sector_choices(offered_sectors(self.kept_ids))
        self.fields["sectors"].required = False
        # Said here, in the language of the request (a lazy string would be formatted at import).
        self.fields["sectors"].help_text = _("At most %(max)d sectors.") % {"max": MAX_SECTORS}
        self.fields["countries"].help_text = _("At most %(max)d countries.") % {"max": MAX_COUNTRIES}
        if self.instance.pk:
            self.initial["countries"] = list(self.instance.countries.values_list("country", flat=True))

    def clean_sectors(self):
        sectors = self.cleaned_data.get("sectors")
        if sectors is not None and any(s.withdrawn and s.pk not in self.kept_ids for s in sectors):
            raise ValidationError(WITHDRAWN)
        check_sectors_count(sectors or [])
        return sectors

    def clean_countries(self):
        countries = self.cleaned_data.get("countries") or []
        check_countries_count(countries)
        return countries

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("title_fr") or cleaned.get("title_en")):
            self.add_error("title_fr", _("Give the action's title in French or English."))
        return cleaned

    def save(self, commit=True):
        experience = super().save(commit=commit)
        # One row per country (indexed for "worked in"): remove the unticked, add the new.
        chosen = set(self.cleaned_data.get("countries") or [])
        for row in experience.countries.all():
            if row.country.code not in chosen:
                row.delete()
            else:
                chosen.discard(row.country.code)
        for code in sorted(chosen):
            experience.countries.create(country=code)
        return experience


class FundingForm(forms.ModelForm):
    class Meta:
        model = Funding
        fields = ["donor", "amount"]
        field_classes = {"amount": AmountField}


class BaseFundingFormSet(SharedFundingFormSet):
    """The shared set-level rule (sum of the rows as typed ≤ the cost as typed), with one donor query."""

    def _construct_form(self, i, **kwargs):
        # One query for the donors, shared by every row (not one per row).
        return self._share_donor_choices(super()._construct_form(i, **kwargs))

    @property
    def empty_form(self):
        # The row the "add a row" script copies: the same donor list, no query of its own.
        return self._share_donor_choices(super().empty_form)

    def _share_donor_choices(self, form):
        if not hasattr(self, "_donor_choices"):
            self._donor_choices = list(form.fields["donor"].choices)
        form.fields["donor"].choices = self._donor_choices
        return form


FundingFormSet = forms.inlineformset_factory(
    Experience,
    Funding,
    form=FundingForm,
    formset=BaseFundingFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_FUNDINGS,
    absolute_max=MAX_FUNDINGS,
    validate_max=True,
)


class ParticipantForm(forms.ModelForm):
    organisation = DirectoryOrganisationField(
        label=_("Organisation of the directory"),
        required=False,
        help_text=_("Its name, acronym or address in the directory."),
    )

    class Meta:
        model = Participant
        fields = ["organisation", "name", "country", "kind", "role"]
        labels = {"name": _("or the name of an organisation not listed here")}

    def __init__(self, *args, search_url="", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.kept = self.instance.organisation if self.instance.organisation_id else None
        if field.kept is not None:
            self.initial["organisation"] = field.kept.slug
        # For the picker (static/js/site.js): where to search, and the organisation chosen (its name to show).
        field.widget.attrs = {**field.widget.attrs, "data-search-url": search_url}
        if not self.is_bound:
            self._show_chosen(field.kept)

    def _show_chosen(self, organisation):
        attrs = self.fields["organisation"].widget.attrs
        attrs.pop("data-data", None)
        if organisation is not None:
            attrs["data-data"] = json.dumps([{"slug": organisation.slug, "name": str(organisation)}])

    def clean(self):
        cleaned = super().clean()
        # Shown again after an error: the organisation found, or (none found) the text typed, as typed.
        self._show_chosen(cleaned.get("organisation"))
        return cleaned


class BaseParticipantFormSet(ParticipantFormSet):
    def __init__(self, *args, search_url="", **kwargs):
        self.search_url = search_url
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "search_url": self.search_url}


# absolute_max leaves room to remove some rows and add others in one save; the kept rows are counted by
# the shared formset (check_participants_count), the number of rows built by absolute_max.
ParticipantFormSetForPartners = forms.inlineformset_factory(
    Experience,
    Participant,
    form=ParticipantForm,
    formset=BaseParticipantFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_PARTICIPANTS,
    absolute_max=MAX_PARTICIPANTS + 2,
)


def validate_experience(form, fundings, participants=None):
    """Validate the experience first: the formsets share its instance, which then holds the cost typed
    (the fundings are checked against it) and its owner (a participant is not its own partner)."""
    valid = form.is_valid()
    valid = fundings.is_valid() and valid
    return (participants is None or participants.is_valid()) and valid


class DonorProposalForm(forms.ModelForm):
    """A donor the partner did not find: refused when it is already in the list, already proposed by this
    organisation, or when the organisation has DonorProposal.MAX_PENDING proposals waiting."""

    class Meta:
        model = DonorProposal
        fields = ["name", "acronym"]
        help_texts = {"acronym": _("As the donor writes it, e.g. AFD or CE – ANE-AL.")}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean(self):
        data = super().clean()
        name, acronym = (data.get("name") or "").strip(), (data.get("acronym") or "").strip()
        if not name:
            return data
        same = Q(name_fr__iexact=name) | Q(name_en__iexact=name)
        if acronym:
            same |= Q(acronym__iexact=acronym)
        existing = Donor.objects.filter(same).first()
        if existing is not None:
            raise forms.ValidationError(
                _("“%(donor)s” is already in the list of donors: choose it in the funding rows.") % {"donor": existing}
            )
        waiting = DonorProposal.objects.filter(organisation=self.organisation, donor=None, rejected=False)
        if waiting.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("You have already proposed this donor: staff will add it soon."))
        if waiting.count() >= DonorProposal.MAX_PENDING:
            raise forms.ValidationError(
                _("%(count)s proposals are already waiting for staff: please wait until they are added.")
                % {"count": DonorProposal.MAX_PENDING}
            )
        return data
