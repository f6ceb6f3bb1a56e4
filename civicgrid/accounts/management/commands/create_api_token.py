"""Create an API token for an integration account (e.g. the 12345 hotline bridge)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.services import api_token_create
from civicgrid.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="What will use the token, e.g. “12345 bridge”.")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No account named “%(username)s”.") % {"username": username})
        try:
            token, plain = api_token_create(user=user, name=name)
        except ApplicationError as exc:
            raise CommandError(exc.message)
        self.stdout.write(
            _("Token “%(name)s” for %(user)s (shown only now):") % {"name": token.name, "user": user}
        )
        self.stdout.write(plain)
