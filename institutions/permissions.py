"""Who may edit which organisation: the one place that answers it."""

from django.http import Http404

from .models import Organisation


def editable_organisations(user):
    """Organisations this user may edit: staff all of them, partners those they are members of."""
    if not (user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    if user.is_staff:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user)


def get_organisation_for_editor(request, slug):
    """The organisation `slug` if the user may edit it, else 404 (never 403: an outsider learns nothing,
    not even whether the organisation exists)."""
    organisation = editable_organisations(request.user).filter(slug=slug).first()
    if organisation is None:
        raise Http404("No organisation you may edit has this address.")
    return organisation
