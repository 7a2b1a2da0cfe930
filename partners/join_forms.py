"""The forms of /<lang>/join/: an organisation asks to be listed, or a person asks for partner access to a
listed one. Bounded lengths (the columns' own, partners.models), one-line names (they go into mail subjects),
and a hidden field robots fill (as the contact form)."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.utils.translation import gettext_lazy as _

from institutions.models import Organisation
from institutions.search import ranked_ids
from institutions.text import one_line

from .models import JOIN_MESSAGE_MAX, JOIN_MESSAGE_MIN, JoinRequest

FIND_MAX = 30  # organisations a search on the access form offers


def found_organisations(find, chosen=None):
    """The published organisations matching the text `find` (the directory's own text search, most relevant
    first, at most FIND_MAX), with the one already chosen (a slug) first: the choices of the access form.
    The list is never the whole directory (100,000 names would make a page of megabytes)."""
    ids = ranked_ids(find)[:FIND_MAX] if find else []
    chosen = chosen if isinstance(chosen, str) and slug_re.fullmatch(chosen) else None
    if not ids and not chosen:
        return []
    rank = {pk: n for n, pk in enumerate(ids)}
    found = Organisation.objects.published().filter(pk__in=ids)
    if chosen:
        found = found | Organisation.objects.published().filter(slug=chosen)
    return sorted(found, key=lambda o: (o.slug != chosen, rank.get(o.pk, 0)))


class OrganisationChoiceField(forms.ModelChoiceField):
    """A published organisation, by its slug; anything that cannot be a slug is refused before any query."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Organisation.objects.published(), to_field_name="slug", **kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not slug_re.fullmatch(str(value)):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class JoinForm(forms.ModelForm):
    message = forms.CharField(
        label=_("A few words"),
        min_length=JOIN_MESSAGE_MIN,
        max_length=JOIN_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    # The honeypot: hidden from people and from assistive technology (the template puts it in a `hidden`
    # block), filled by robots that fill every field. A request with it filled is answered and not kept.
    website = forms.CharField(label=_("Leave this field empty"), required=False, strip=False)

    class Meta:
        model = JoinRequest
        fields = ["name", "position", "email", "message"]
        labels = {
            "name": _("Your name"),
            "email": _("Your e-mail address"),
            "position": _("Your role or position"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, autocomplete in [("name", "name"), ("email", "email"), ("position", "organization-title")]:
            if name in self.fields:
                self.fields[name].widget.attrs["autocomplete"] = autocomplete
                self.fields[name].validators.append(one_line)
        self.fields["email"].help_text = _("We answer you at this address; it is not shown on the site.")
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def from_robot(self):
        return bool(self.cleaned_data.get("website"))


class ListingRequestForm(JoinForm):
    """An organisation not in the directory asks to be listed."""

    kind = JoinRequest.Kind.LISTING

    class Meta(JoinForm.Meta):
        fields = ["organisation_name", "organisation_kind", "country", "city", "name", "position", "email", "message"]
        labels = {
            **JoinForm.Meta.labels,
            "organisation_name": _("Name of the organisation"),
            "organisation_kind": _("Kind of organisation"),
            "country": _("Country"),
            "city": _("City"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("organisation_name", "organisation_kind", "country"):
            self.fields[name].required = True
        for name in ("organisation_name", "city"):
            self.fields[name].validators.append(one_line)
        self.fields["organisation_kind"].choices = [("", "---------"), *Organisation.Kind.choices]
        self.fields["message"].help_text = _(
            "What the organisation does in decentralised cooperation, its website if it has one."
        )


class AccessRequestForm(JoinForm):
    """A person asks for partner access to a published organisation, chosen among those a search found."""

    kind = JoinRequest.Kind.ACCESS
    organisation = OrganisationChoiceField(
        label=_("Your organisation"), help_text=_("Find it with the search above, then choose it here.")
    )

    class Meta(JoinForm.Meta):
        fields = ["organisation", "name", "position", "email", "message"]

    def __init__(self, *args, find="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = True
        self.fields["message"].help_text = _("Why you would keep this organisation's profile up to date.")
        chosen = self.data.get("organisation") if self.is_bound else self.initial.get("organisation")
        self.found = found_organisations(find, chosen)
        self.fields["organisation"].widget.choices = [
            ("", "---------"),
            *((o.slug, f"{o} – {o.country.name}") for o in self.found),
        ]
