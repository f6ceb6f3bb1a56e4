"""Check that every kept balance and leaderboard tally equals the sum of its ledger entries; --repair mends them."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from civicgrid.points import selectors, services


class Command(BaseCommand):
    help = (
        "Compare kept points balances and tallies with the ledger; with --repair, set them from the ledger."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--repair", action="store_true", help="Set differing balances and tallies from the entries."
        )

    def handle(self, *args, repair: bool = False, **options) -> None:
        found = selectors.ledger_differences()
        for difference in found[:50]:
            self.stdout.write(
                f"{difference.what} {difference.key}: kept {difference.kept}, entries sum to {difference.counted}"
            )
        self.stdout.write(f"{len(found)} differences")
        if found and repair:
            services.ledger_repair(found)
            self.stdout.write(f"Repaired {len(found)}.")
        elif found:
            sys.exit(1)
