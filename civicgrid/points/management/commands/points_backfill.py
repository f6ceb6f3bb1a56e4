"""Replay the reports accepted since a date through the idempotent service (a receiver that failed loses no points).

Reads the case records (CaseEvent "accept" and its case) only; each case posts at most once, under the
same key the receiver uses, so running it twice or after the receiver did changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from civicgrid.cases.models import CaseEvent
from civicgrid.points import services


class Command(BaseCommand):
    help = "Credit the reporters of reports accepted since --since (YYYY-MM-DD) that have no entry yet."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", required=True, help="The first day to replay (YYYY-MM-DD).")

    def handle(self, *args, since: str, **options) -> None:
        day = parse_date(since or "")
        if day is None:
            raise CommandError("--since takes a date as YYYY-MM-DD.")
        start = timezone.make_aware(datetime.combine(day, time.min))
        events = (
            CaseEvent.objects.filter(action="accept", at__gte=start)
            .order_by("id")
            .values_list(
                "case_id",
                "at",
                "case__reporter_id",
                "case__source",
                "case__village_id",
                "case__tracking_number",
            )
        )
        seen = posted = 0
        for case_id, at, reporter_id, source, village_id, number in events.iterator(chunk_size=2000):
            seen += 1
            entry = services.report_accepted(
                case_id=case_id,
                reporter_id=reporter_id,
                source=source,
                community_id=village_id,
                day=timezone.localdate(at),
                tracking_number=number,
            )
            if entry is not None:
                posted += 1
        self.stdout.write(f"{seen} accepted reports read; {posted} have an entry (new or already there).")
