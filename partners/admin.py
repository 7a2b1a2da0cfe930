"""Staff admin for partner access: who may edit which organisation, seen from the user and from the
organisation, and the invitation e-mails."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User
from experiences.models import Donor
from institutions import admin as institutions_admin
from institutions.admin import BoundedInlineMixin
from institutions.formatting import short_date
from institutions.models import Organisation

from .invitations import send_invitation
from .joining import AlreadyDecided, accept, may_review, refuse
from .models import JOIN_MESSAGE_MAX, DonorProposal, JoinRequest, Membership, Reminder, RemindersOff


class UserMembershipInline(BoundedInlineMixin, admin.TabularInline):
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
                _("%(user)s may edit no organisation yet: add one below their details first.") % {"user": user},
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
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)
    inlines = [UserMembershipInline]
    actions = [invite_fr, invite_en]


class MembershipInline(BoundedInlineMixin, admin.TabularInline):
    """Partner access: the partners who may edit this organisation."""

    model = Membership
    fields = ["user", "created"]
    readonly_fields = ["created"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = _("partner with access")
    verbose_name_plural = _("partners with access")


class ReminderInline(admin.TabularInline):
    """The update reminders sent to the organisation's partners (partners/reminders.py): read-only."""

    model = Reminder
    fields = ["sent", "round", "last_update", "recipients"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


# The data layer's organisation admin knows nothing of partners; here its page also shows who may edit it.
admin.site.unregister(Organisation)


@admin.register(Organisation)
class OrganisationAdmin(institutions_admin.OrganisationAdmin):
    inlines = [
        institutions_admin.CompetenceInline,
        MembershipInline,
        institutions_admin.ExperienceInline,
        ReminderInline,
    ]
    actions = [*institutions_admin.OrganisationAdmin.actions, "reminders_off", "reminders_on"]
    readonly_fields = [*institutions_admin.OrganisationAdmin.readonly_fields, "update_reminders"]
    fieldsets = [
        *institutions_admin.OrganisationAdmin.fieldsets,
        (_("Update reminders"), {"fields": ["update_reminders"]}),
    ]

    @admin.display(description=_("update reminders"))
    def update_reminders(self, obj):
        off = RemindersOff.objects.filter(organisation=obj).first() if obj and obj.pk else None
        if off is None:
            return _("On: the partners are reminded a year after the last update (list below).")
        return _("Off since %(date)s (the list's action “Switch update reminders on” restores them).") % {
            "date": short_date(off.since)
        }

    @admin.action(description=_("Switch update reminders off"), permissions=["change"])
    def reminders_off(self, request, queryset):
        switched = [RemindersOff(organisation=org) for org in queryset.filter(reminders_off=None)]
        RemindersOff.objects.bulk_create(switched)
        self.message_user(
            request,
            ngettext(
                "Update reminders switched off for %(n)d organisation.",
                "Update reminders switched off for %(n)d organisations.",
                len(switched),
            )
            % {"n": len(switched)},
        )

    @admin.action(description=_("Switch update reminders on"), permissions=["change"])
    def reminders_on(self, request, queryset):
        switched, _by_model = RemindersOff.objects.filter(organisation__in=queryset).delete()
        self.message_user(
            request,
            ngettext(
                "Update reminders switched on for %(n)d organisation.",
                "Update reminders switched on for %(n)d organisations.",
                switched,
            )
            % {"n": switched},
        )


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organisation", "created"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__email", "organisation__name_fr", "organisation__name_en", "organisation__acronym"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(DonorProposal)
class DonorProposalAdmin(admin.ModelAdmin):
    """Donors partners did not find in the list. "Add to the donors" creates each one (its name in both
    languages until someone translates it) and links the proposal to it; "Reject" closes it."""

    list_display = ["name", "acronym", "organisation", "proposed_by", "created", "status"]
    list_filter = [("donor", admin.EmptyFieldListFilter), "rejected"]
    list_select_related = ["organisation", "proposed_by", "donor"]
    search_fields = ["name", "acronym", "organisation__name_fr", "organisation__name_en"]
    readonly_fields = ["organisation", "proposed_by", "created", "donor"]
    actions = ["confirm", "reject"]

    @admin.display(description=_("status"))
    def status(self, proposal):
        return proposal.status

    @admin.action(description=_("Add to the donors"), permissions=["add_donor"])
    def confirm(self, request, queryset):
        added = 0
        for proposal in queryset.filter(donor=None, rejected=False):
            proposal.donor = Donor.objects.create(
                name_fr=proposal.name, name_en=proposal.name, acronym=proposal.acronym
            )
            proposal.save(update_fields=["donor"])
            added += 1
        self.message_user(request, ngettext("%(n)d donor added.", "%(n)d donors added.", added) % {"n": added})

    @admin.action(description=_("Reject"), permissions=["change"])
    def reject(self, request, queryset):
        rejected = queryset.filter(donor=None).update(rejected=True)
        self.message_user(
            request, ngettext("%(n)d proposal rejected.", "%(n)d proposals rejected.", rejected) % {"n": rejected}
        )

    def has_add_donor_permission(self, request):
        return request.user.has_perm("experiences.add_donor")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("refuse", _("Refuse"))])
    message = forms.CharField(
        label=_("Message to the asker (optional, sent with a refusal)"),
        required=False,
        max_length=JOIN_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    """The review queue of join requests: read-only, for staff with the permission
    `partners.review_joinrequest` (superusers have it); a pending request's page has the "Accept" and
    "Refuse" buttons (partners/joining.py does the rest). Deleting follows the delete permission (an asker
    may ask for their data to be removed)."""

    list_display = ["created", "kind", "state", "target", "name", "email", "language", "decided_by", "decided_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["organisation", "decided_by"]
    search_fields = ["name", "email", "organisation_name", "organisation__name_fr", "organisation__name_en"]
    date_hierarchy = "created"
    fields = ["kind", "state", "created", "language", "organisation_name", "organisation_kind", "country", "city",
              "organisation", "name", "position", "email", "message", "decided_by", "decided_at",
              "decision_message"]  # fmt: skip
    change_form_template = "admin/partners/joinrequest/change_form.html"

    @admin.display(description=_("organisation"))
    def target(self, join_request):
        return join_request.target

    def has_module_permission(self, request):
        return may_review(request.user)

    def has_view_permission(self, request, obj=None):
        return may_review(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decided through the buttons only: what the asker wrote is not edited

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [path("<int:pk>/decide/", decide, name="partners_joinrequest_decide"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "decision_form": DecisionForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk):
        """Accept or refuse one pending request, once; back to its page, saying what was done."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not may_review(request.user):
            raise PermissionDenied
        join_request = get_object_or_404(JoinRequest, pk=pk)
        back = redirect(reverse("admin:partners_joinrequest_change", args=[pk]))
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose “Accept” or “Refuse”; a message may have at most %(n)d characters.")
                              % {"n": JOIN_MESSAGE_MAX}, messages.ERROR)  # fmt: skip
            return back
        try:
            if form.cleaned_data["decision"] == "accept":
                organisation = accept(join_request, request.user)
                done = _("Accepted: %(email)s is invited to edit %(organisation)s.")
            else:
                organisation = refuse(join_request, request.user, form.cleaned_data["message"])
                done = _("Refused: %(email)s was told, in the language of the request.")
        except AlreadyDecided:
            self.message_user(request, _("This request was already decided (or its organisation no longer "
                                         "exists): nothing was done."), messages.ERROR)  # fmt: skip
            return back
        except OSError:  # the mail server is unreachable or refused the mail: the transaction was rolled back
            self.message_user(request, _("The e-mail could not be sent just now, so nothing was done: please "
                                         "try again."), messages.ERROR)  # fmt: skip
            return back
        self.message_user(request, done % {"email": join_request.email, "organisation": organisation})
        return back
