"""manage.py send_reminders: the update reminders due today (partners/reminders.py). Run once a day."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from partners.reminders import send_due_reminders


class Command(BaseCommand):
    help = (
        "E-mail the partners of each organisation whose profile was last updated a year ago (and again 30 days "
        "later if nothing changed). Safe to run twice or on two servers at once: each reminder is sent once."
    )

    def handle(self, *args, **options):
        sent = send_due_reminders()
        self.stdout.write(ngettext("%(n)d reminder sent.", "%(n)d reminders sent.", sent) % {"n": sent})
