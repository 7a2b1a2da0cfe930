"""manage.py send_alerts: the alert digests due today and the purge of unconfirmed subscriptions
(alerts/digests.py). Run once a day."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alerts.digests import purge_unconfirmed, send_digests


class Command(BaseCommand):
    help = (
        "E-mail each confirmed alert subscriber the matches of their search created or updated in their last "
        "whole week or month, when there are any, once per period (safe to run twice or on two servers at "
        "once); then delete the subscriptions never confirmed whose link was sent more than --purge-days days "
        "ago. --dry-run counts, sends and deletes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--purge-days", type=int, default=settings.ALERTS_CONFIRM_DAYS,
            help="delete unconfirmed subscriptions asked more than this many days ago (default: the life of "
                 "the confirmation link)",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="count what would be done, do nothing")

    def handle(self, purge_days, dry_run, **options):
        if purge_days < 1:
            raise CommandError("--purge-days must be 1 or more.")
        sent = send_digests(dry_run=dry_run)
        purged = purge_unconfirmed(purge_days, dry_run=dry_run)
        would = " (dry run: nothing sent or deleted)" if dry_run else ""
        self.stdout.write(f"{sent} alert digests sent, {purged} unconfirmed subscriptions deleted{would}.")
