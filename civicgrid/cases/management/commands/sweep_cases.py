"""Run the deadline sweep once, or loop (a cron-free way to keep deadlines watched)."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from civicgrid.cases.services import cases_sweep


class Command(BaseCommand):
    help = "Mark overdue case steps and notify the level above; warn of near deadlines; close unrated cases."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sweeping until stopped.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between sweeps with --loop.")
        parser.add_argument("--enqueue", action="store_true", help="Run it as a background task instead.")

    def handle(self, *args, loop: bool, interval: int, enqueue: bool, **options):
        if enqueue:
            from civicgrid.cases.tasks import sweep_cases

            result = sweep_cases.enqueue()
            self.stdout.write(_("Enqueued the sweep as task %(id)s.") % {"id": result.id})
            return
        while True:
            result = cases_sweep()
            self.stdout.write(
                _("Sweep: %(overdue)d overdue, %(due_soon)d due soon, %(closed)d closed without rating.")
                % {"overdue": result.overdue, "due_soon": result.due_soon, "closed": result.auto_closed}
            )
            if not loop:
                return
            time.sleep(max(1, interval))
