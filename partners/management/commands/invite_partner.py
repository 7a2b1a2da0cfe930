from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from institutions.models import Organisation
from partners.invitations import invite_partner


class Command(BaseCommand):
    help = (
        "Give EMAIL partner access to the organisation ORG_SLUG and e-mail them a link to set their "
        "password. Creates the account (without a password) if it does not exist; an existing account "
        "keeps its password until the link is used."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("org_slug")
        parser.add_argument("--language", choices=["fr", "en"], default="fr", help="language of the e-mail")

    def handle(self, email, org_slug, language, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not a valid e-mail address.") from None
        organisation = Organisation.objects.filter(slug=org_slug).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug {org_slug!r}.")
        user, created = invite_partner(email, organisation, language)
        state = "created and invited" if created else "invited (existing account)"
        self.stdout.write(f"{user.email} {state} to edit {organisation}; e-mail sent in {language}.")
