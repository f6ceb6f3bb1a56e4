"""Keep coverage figures: the daily sweep of the kept flags and the monthly snapshot.

manage.py orgs_coverage --sweep                  # daily, after midnight
manage.py orgs_coverage --sweep --since 2026-01-01   # make good a longer gap
manage.py orgs_coverage --snapshot               # monthly, the month just ended
manage.py orgs_coverage --snapshot --month 2026-05
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from civicgrid.orgs import coverage


class Command(BaseCommand):
    help = "Refresh the kept coverage flags (--sweep) and write a month's coverage snapshot (--snapshot)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sweep", action="store_true", help="Refresh targets whose dates crossed.")
        parser.add_argument("--since", help="With --sweep: the last day already swept (YYYY-MM-DD).")
        parser.add_argument("--snapshot", action="store_true", help="Write a month's snapshot.")
        parser.add_argument(
            "--month", help="With --snapshot: the month (YYYY-MM); default the month just ended."
        )

    def handle(
        self, *args, sweep: bool, since: str | None, snapshot: bool, month: str | None, **options
    ) -> None:
        if not sweep and not snapshot:
            raise CommandError("Say --sweep, --snapshot or both.")
        today = timezone.localdate()
        if sweep:
            start = None
            if since:
                start = parse_date(since)
                if start is None:
                    raise CommandError("--since takes a date as YYYY-MM-DD.")
            done = coverage.sweep(today, since=start)
            self.stdout.write(f"Sweep of {today.isoformat()}: {done} targets refreshed.")
        if snapshot:
            if month:
                first = parse_date(f"{month}-01")
                if first is None:
                    raise CommandError("--month takes a month as YYYY-MM.")
            else:
                first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
            written = coverage.snapshot_month(first)
            self.stdout.write(f"Snapshot of {first:%Y-%m}: {written} rows written.")
