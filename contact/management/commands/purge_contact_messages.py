import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from contact.models import ContactMessage


class Command(BaseCommand):
    help = (
        "Delete for good the contact messages logged more than DAYS days ago (default 365): senders' names, "
        "addresses and messages are kept no longer than the log is useful against abuse. Touches nothing "
        "else. Run it from a daily timer; --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365, help="keep the messages of the last DAYS days")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, days, dry_run, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        old = ContactMessage.objects.filter(sent_at__lt=timezone.now() - datetime.timedelta(days=days))
        if dry_run:
            self.stdout.write(f"{old.count()} contact messages older than {days} days would be deleted (dry run).")
            return
        deleted, _by_model = old.delete()
        self.stdout.write(f"{deleted} contact messages older than {days} days deleted.")
