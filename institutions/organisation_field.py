"""DirectoryOrganisationField: an organisation of the directory typed by its address, name or acronym. The
partner's participant rows (partners/forms.py) and the admin's "link to a directory organisation"
(experiences/admin.py) choose one this way."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Organisation


class DirectoryOrganisationField(forms.CharField):
    """An organisation of the directory typed as its address (slug: what the searchable picker posts) or,
    without script, as its name or acronym. A <select> listing all of them would weigh about half a megabyte
    per row at 10,000 organisations (some 55 bytes an option); the partner's picker asks the server instead
    (partners/views.py organisation_search). Published organisations only, plus `kept` (the one a row
    already names, even if unpublished since); every organisation with published_only=False (staff)."""

    default_error_messages = {
        "ambiguous": _("Several organisations of the directory have this name; type the address of one: %(list)s."),
        "not_found": _(
            "No organisation of the directory has this name or address. Check the spelling, or give the "
            "name, country and kind of an organisation not listed here."
        ),
    }

    def __init__(self, *args, published_only=True, **kwargs):
        super().__init__(*args, max_length=255, **kwargs)
        self.published_only = published_only
        self.kept = None

    def clean(self, value):
        value = super().clean(value).strip()  # refuses NUL characters, too long a value
        if not value:
            return None
        offered = Organisation.objects.all()
        if self.published_only:
            offered = offered.filter(Q(published=True) | Q(pk=getattr(self.kept, "pk", None)))
        found = offered.filter(slug=value).first()
        if found is not None:
            return found
        named = list(
            offered.filter(Q(name_fr__iexact=value) | Q(name_en__iexact=value) | Q(acronym__iexact=value))
            .order_by("slug")[:6]
        )
        if len(named) == 1:
            return named[0]
        if named:
            raise ValidationError(
                self.error_messages["ambiguous"] % {"list": "; ".join(f"{o} ({o.slug})" for o in named[:5])}
            )
        raise ValidationError(self.error_messages["not_found"])
