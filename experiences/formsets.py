"""The fundings of an experience checked together against its cost, shared by the admin and partner pages.

The model's own check compares one funding with what is stored; when the fundings (and perhaps the cost)
are edited in one save, the sum that matters is the one of the rows as they will be.
"""

from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from institutions.formsets import kept_forms

from .models import check_fundings_within_cost


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
