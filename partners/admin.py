from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from institutions.admin import BoundedInlineMixin
from institutions.models import Membership

from .invitations import send_invitation
from .models import User


class MembershipInline(BoundedInlineMixin, admin.TabularInline):
    """Partner access: the organisations this user may edit."""

    model = Membership
    extra = 1
    raw_id_fields = ["organisation"]
    verbose_name = _("organisation this user may edit")
    verbose_name_plural = _("organisations this user may edit")


def _invite(modeladmin, request, queryset, language):
    sent = 0
    for user in queryset.filter(is_active=True):
        if not user.memberships.exists():
            modeladmin.message_user(
                request,
                _("%(user)s may edit no organisation yet: add one below their details first.")
                % {"user": user},
                messages.WARNING,
            )
            continue
        send_invitation(user, language)
        sent += 1
    if sent:
        modeladmin.message_user(
            request, ngettext("%(n)d invitation sent.", "%(n)d invitations sent.", sent) % {"n": sent}
        )


@admin.action(description=_("Send an invitation e-mail (in French) with a link to set a password"))
def invite_fr(modeladmin, request, queryset):
    _invite(modeladmin, request, queryset, "fr")


@admin.action(description=_("Send an invitation e-mail (in English) with a link to set a password"))
def invite_en(modeladmin, request, queryset):
    _invite(modeladmin, request, queryset, "en")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    # A partner is usually created without a password ("usable_password" off) and then invited.
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )
    inlines = [MembershipInline]
    actions = [invite_fr, invite_en]
