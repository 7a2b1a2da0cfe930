from django import forms
from django.utils.translation import gettext_lazy as _

from institutions.text import one_line

from .models import EMAIL_MAX, MESSAGE_MAX, MESSAGE_MIN, NAME_MAX, SUBJECT_MAX


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX, validators=[one_line])
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=EMAIL_MAX,
        help_text=_("The organisation answers you at this address; it is not shown on the site."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX, validators=[one_line])
    message = forms.CharField(
        label=_("Message"), min_length=MESSAGE_MIN, max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 10})
    )
    copy = forms.BooleanField(label=_("Send me a copy of my message"), required=False, initial=True)
    # The honeypot: hidden from people and from assistive technology (the template puts it in a `hidden`
    # block), filled by robots that fill every field. A message with it filled is accepted and not sent.
    website = forms.CharField(label=_("Leave this field empty"), required=False, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def from_robot(self):
        return bool(self.cleaned_data.get("website"))
