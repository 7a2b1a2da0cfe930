from django.contrib import admin
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from .models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """The alert subscriptions: read-only (a subscriber manages their own through their links); staff with
    the delete permission may delete one (an address that bounces, a request to forget it)."""

    list_display = ["email", "search", "criteria", "language", "frequency", "confirmed", "last_sent"]
    list_filter = ["search", "frequency", "language", ("confirmed", admin.EmptyFieldListFilter)]
    search_fields = ["email", "criteria"]
    date_hierarchy = "created"
    fields = ["email", "search", "criteria", "language", "frequency", "created", "asked", "confirmed", "last_sent"]
    readonly_fields = ["last_sent"]

    def get_queryset(self, request):
        sent = Max("digests__done", filter=Q(digests__items__gt=0))
        return super().get_queryset(request).annotate(last_sent=sent)

    @admin.display(description=_("last digest sent"), ordering="last_sent")
    def last_sent(self, subscription):
        return subscription.last_sent

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
