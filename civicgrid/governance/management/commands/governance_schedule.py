"""Plan the coming meetings of every active meeting series (daily; idempotent)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.governance import services_meetings as services


class Command(BaseCommand):
    help = "Plan the meetings of every active meeting series for the next 60 days (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=services.SCHEDULE_DAYS, help="How many days ahead.")
        parser.add_argument("--date", help="As of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, days: int, date: str | None = None, **options):
        if not 1 <= days <= 366:
            raise CommandError(_("Give between 1 and 366 days."))
        try:
            today = _parse(date) if date else None
        except ValueError as exc:
            raise CommandError(_("Enter a date as YYYY-MM-DD.")) from exc
        run = services.meetings_schedule_all(days=days, today=today)
        self.stdout.write(
            _("Planned %(created)d meetings of %(series)d series.")
            % {"created": run.created, "series": run.series}
        )


def _parse(text: str) -> date:
    return date.fromisoformat(text)
