"""Check the kept figures of case handling against a recount from the events, or rebuild them."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.cases import figures

# Differences listed by --check before "… and N more".
SHOWN = 50


class Command(BaseCommand):
    help = (
        "Compare the kept figures (per place, agency, worker, day and fact) with a recount from the "
        "recorded events (--check), or rebuild them (--repair)."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument(
            "--check", action="store_true", help="Recount and compare; exit 1 listing the differences."
        )
        group.add_argument(
            "--repair", action="store_true", help="Recount every figure from the events, in one transaction."
        )

    def handle(self, *args, check: bool, repair: bool, **options):
        started = time.perf_counter()
        if repair:
            rows = figures.rebuild()
            self.stdout.write(
                _("Rebuilt the case figures: %(rows)d rows in %(seconds).1f s.")
                % {"rows": rows, "seconds": time.perf_counter() - started}
            )
            return
        found = figures.differences()
        if not found:
            self.stdout.write(
                _("The case figures agree with a recount (%(seconds).1f s).")
                % {"seconds": time.perf_counter() - started}
            )
            return
        for d in found[:SHOWN]:
            place, agency, user, day, key = d.key
            day = f"{day:%Y-%m}" if d.monthly else day  # a monthly sum: its month
            self.stdout.write(
                _("place %(place)s, agency %(agency)s, worker %(user)s, %(day)s, %(key)s: kept %(kept)d, counted %(counted)d")
                % {
                    "place": place, "agency": agency, "user": user, "day": day, "key": key,
                    "kept": d.kept, "counted": d.counted,
                }
            )  # fmt: skip
        total = getattr(found, "total", len(found))  # a city's check lists the first 100,000
        if total > SHOWN:
            self.stdout.write(_("… and %(n)d more.") % {"n": total - SHOWN})
        raise CommandError(
            _("%(n)d case figures differ from a recount; run case_figures --repair.") % {"n": total}
        )
