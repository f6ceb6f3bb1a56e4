"""Check the kept counts of cases against a recount, or rebuild them (after a bulk load, a restore)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.cases import counts

# Differences listed by --check before "… and N more".
SHOWN = 50


class Command(BaseCommand):
    help = "Compare the kept case counts (per place, state and day) with a recount (--check), or rebuild them (--repair)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument(
            "--check", action="store_true", help="Recount and compare; exit 1 listing the differences."
        )
        group.add_argument(
            "--repair", action="store_true", help="Recount every tally from the cases, in one transaction."
        )

    def handle(self, *args, check: bool, repair: bool, **options):
        started = time.perf_counter()
        if repair:
            rows = counts.rebuild()
            self.stdout.write(
                _("Rebuilt the case counts: %(rows)d rows in %(seconds).1f s.")
                % {"rows": rows, "seconds": time.perf_counter() - started}
            )
            return
        found = counts.differences()
        if not found:
            self.stdout.write(
                _("The case counts agree with a recount (%(seconds).1f s).")
                % {"seconds": time.perf_counter() - started}
            )
            return
        for d in found[:SHOWN]:
            self.stdout.write(
                _("place %(place)s, %(state)s, %(day)s: kept %(kept)d, counted %(counted)d")
                % {"place": d.place_id, "state": d.state, "day": d.day, "kept": d.kept, "counted": d.counted}
            )
        if len(found) > SHOWN:
            self.stdout.write(_("… and %(n)d more.") % {"n": len(found) - SHOWN})
        raise CommandError(
            _("%(n)d case counts differ from a recount; run case_counts --repair.") % {"n": len(found)}
        )
