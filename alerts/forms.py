from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EMAIL_MAX, Subscription


class FrequencyForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=[
            (Subscription.Frequency.WEEKLY, _("Once a week")),
            (Subscription.Frequency.MONTHLY, _("Once a month")),
        ],
        initial=Subscription.Frequency.WEEKLY,
        widget=forms.RadioSelect,
    )


class SubscribeForm(FrequencyForm):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=EMAIL_MAX,
        help_text=_("We send a link to this address: nothing is sent until you follow it."),
    )
    # The honeypot, as the contact form's: hidden from people and assistive technology by the template,
    # filled by robots that fill every field. A request with it filled is answered as done and forgotten.
    website = forms.CharField(label=_("Leave this field empty"), required=False, strip=False)

    field_order = ["email", "frequency", "website"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def from_robot(self):
        return bool(self.cleaned_data.get("website"))
