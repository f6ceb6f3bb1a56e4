"""Post the expiry of points past their rule's term (daily; idempotent per person and day)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.points import services


class Command(BaseCommand):
    help = "Post the expiry of points past their rule's term, as of today or --date (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="As of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, date: str | None = None, **options):
        try:
            today = _parse(date) if date else None
        except ValueError as exc:
            raise CommandError(_("Enter a date as YYYY-MM-DD.")) from exc
        posted = services.points_expire(today)
        self.stdout.write(_("Expired the points of %(n)d people.") % {"n": posted})


def _parse(text: str) -> date:
    return date.fromisoformat(text)
