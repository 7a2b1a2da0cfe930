"""The fundings of an experience checked together against its cost, and its participants as a set, shared by
the admin and partner pages.

The model's own check compares one funding with what is stored; when the fundings (and perhaps the cost)
are edited in one save, the sum that matters is the one of the rows as they will be.
"""

from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from institutions.formsets import kept_forms

from .models import check_fundings_within_cost, check_participants_count


class FundingFormSet(BaseInlineFormSet):
    # Django formats it with the limit (MAX_FUNDINGS) as %(num)d; more rows are refused before being built.
    default_error_messages = {"too_many_forms": _("An experience has at most %(num)d fundings.")}

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.checked_as_a_set = True
        return form

    def clean(self):
        super().clean()
        # self.instance carries the cost typed in the same form (the parent form is validated first).
        amounts = [form.cleaned_data.get("amount") for form in kept_forms(self)]
        check_fundings_within_cost(self.instance.cost, amounts)


class FundingsEditedTogetherMixin:
    """For an experience form shown together with its fundings formset: the formset checks the sum of
    the fundings as edited against the cost as edited, so the experience's own check steps aside."""

    def _post_clean(self):
        self.instance.fundings_checked_by_formset = True
        super()._post_clean()


class ParticipantFormSet(BaseInlineFormSet):
    """An experience's participants checked as a set (admin and partner pages): at most MAX_PARTICIPANTS
    kept rows, each organisation (of the directory, or by name) once. The model checks each row alone."""

    # Django formats it with the limit as %(num)d; more rows than that are refused before being built.
    default_error_messages = {"too_many_forms": _("An experience lists at most %(num)d participants.")}

    def __init__(self, *args, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.model._default_manager.select_related("organisation")
        super().__init__(*args, queryset=queryset, **kwargs)

    def clean(self):
        super().clean()
        kept = kept_forms(self)
        check_participants_count(len(kept))
        seen = set()
        for form in kept:
            organisation, name = form.cleaned_data.get("organisation"), (form.cleaned_data.get("name") or "").strip()
            key = ("listed", organisation.pk) if organisation else ("named", name.casefold()) if name else None
            if key is None:
                continue
            if key in seen:
                raise ValidationError(
                    _("“%(participant)s” is given twice; each participant may be listed once.")
                    % {"participant": organisation or name}
                )
            seen.add(key)
