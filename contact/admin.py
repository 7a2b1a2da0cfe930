from django.contrib import admin

from .models import ContactMessage


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    """The log of contact messages: read-only (a log is not edited), for staff with the view permission.
    Deleting follows the delete permission (a sender may ask for their data to be removed)."""

    list_display = ["sent_at", "organisation", "subject", "sender_name", "status", "reason", "language"]
    list_filter = ["status", "reason", "language"]
    list_select_related = ["organisation"]
    search_fields = ["subject", "sender_name", "sender_email", "organisation__name_fr", "organisation__name_en",
                     "organisation__acronym"]  # fmt: skip
    date_hierarchy = "sent_at"
    fields = ["organisation", "sent_at", "status", "reason", "recipients", "language", "sender_name",
              "sender_email", "copy_to_sender", "subject", "message"]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
