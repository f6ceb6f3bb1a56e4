"""Close the volunteer activities that have ended and write their pending hours records.

Run it every few minutes (cron or a loop): `manage.py volunteer_close_activities [--loop SECONDS]`.
A volunteer who checked in but not out is flagged and credited by VOLUNTEER_MISSING_CHECKOUT.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from civicgrid.volunteers import services


class Command(BaseCommand):
    help = "Close ended volunteer activities and create their pending hours records."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="Run again every this many seconds.")

    def handle(self, *args, loop: int = 0, **options) -> None:
        while True:
            closed, written = services.activities_close_ended()
            self.stdout.write(f"Closed {closed} activities; wrote {written} pending hours records.")
            if not loop:
                return
            time.sleep(loop)
