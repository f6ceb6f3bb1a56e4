"""Compare the register's kept counts per grid with a recount, or repair them."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from civicgrid.addresses import counts


class Command(BaseCommand):
    help = (
        "Check the standard address register's kept counts per grid against a recount of its addresses "
        "(--check, the default: exits 1 when a grid differs), or recount every grid (--repair)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Recount every grid and keep the figures.")

    def handle(self, *args, repair: bool = False, **options):
        if repair:
            with transaction.atomic():
                done = counts.recount_all()
            self.stdout.write(f"recounted {done} grids")
            return
        wrong = counts.stale()
        if wrong:
            self.stdout.write(f"{len(wrong)} grids differ: {', '.join(wrong[:20])}")
            raise SystemExit(1)
        self.stdout.write("the kept counts match a recount")
