"""Formsets that check an organisation's competences as a set, shared by the admin and the partner pages.

The model's own validation sees one row at a time against the database; a formset saves several rows at
once (replace one sector by another, reorder), so the count and the duplicates are checked here, over the
rows as they will be after the save.
"""

from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import MAX_COMPETENCES


def kept_forms(formset):
    """The forms of a formset that will be saved: valid, not marked for deletion, not left empty."""
    return [
        form
        for form in formset.forms
        if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
    ]


class CompetenceFormSet(BaseInlineFormSet):
    # Django formats it with the limit (the inline's max_num) as %(num)d when more rows are posted.
    default_error_messages = {
        "too_many_forms": gettext_lazy("An organisation has at most %(num)d fields of competence.")
    }

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.checked_as_a_set = True
        return form

    def clean(self):
        # Our messages first: they say more than the generic "duplicate values" of the base formset.
        kept = [form.cleaned_data for form in kept_forms(self) if form.cleaned_data.get("sector")]
        if len(kept) > MAX_COMPETENCES:
            raise ValidationError(
                _("An organisation has at most %(max)d fields of competence; remove %(extra)d.")
                % {"max": MAX_COMPETENCES, "extra": len(kept) - MAX_COMPETENCES}
            )
        seen = set()
        for data in kept:
            sector = data["sector"]
            if sector.pk in seen:
                raise ValidationError(
                    _("The sector %(sector)s is given twice; each sector may be chosen once.") % {"sector": sector}
                )
            seen.add(sector.pk)
        super().clean()
