"""Who may edit which organisation: the one place that answers it."""

from django.http import Http404

from institutions.models import Organisation

# The model permission a staff member needs to use the partner pages of any organisation (partners need
# none: membership is their permission). The experience pages ask for the experience's own permissions.
CHANGE_ORGANISATION = "institutions.change_organisation"
ADD_EXPERIENCE = "experiences.add_experience"
CHANGE_EXPERIENCE = "experiences.change_experience"
DELETE_EXPERIENCE = "experiences.delete_experience"


def editable_organisations(user, permission=CHANGE_ORGANISATION):
    """Organisations this user may edit: staff holding `permission` all of them, partners those they are
    members of. Being staff alone gives nothing more than an outsider has."""
    if not (user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    if user.is_staff and user.has_perm(permission):
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user)


def get_organisation_for_editor(request, slug, permission=CHANGE_ORGANISATION):
    """The organisation `slug` if the user may edit it, else 404 (never 403: an outsider learns nothing,
    not even whether the organisation exists)."""
    organisation = editable_organisations(request.user, permission).filter(slug=slug).first()
    if organisation is None:
        raise Http404("No organisation you may edit has this address.")
    return organisation
