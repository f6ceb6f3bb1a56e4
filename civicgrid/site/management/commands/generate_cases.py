"""`manage.py generate_cases --count N`: years of realistic cases on the demo county, in bulk (for benches)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError
from civicgrid.core.progress import command_progress
from civicgrid.site import generate


class Command(BaseCommand):
    help = (
        "Generate realistic cases in bulk on top of the demo county (run load_demo first): their events, "
        "photo rows, notifications and tracking counters. Refused when generated cases already exist: "
        "generate into a fresh database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="How many cases to generate.")
        parser.add_argument(
            "--days",
            type=int,
            default=generate.DEFAULT_DAYS,
            help="Over how many days ending now (default: two years).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of every random draw.")
        parser.add_argument(
            "--batch",
            type=int,
            default=generate.DEFAULT_BATCH,
            help="Cases written per transaction, with their rows.",
        )
        parser.add_argument(
            "--grids",
            type=int,
            default=None,
            help="About how many grids the city should have: with more than the demo county's, districts "
            "with their towns, villages, grids, boundaries, staff and agencies are added beside it first "
            "(default: the demo's grids only).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Draw no progress bar.")

    def handle(
        self, *args: Any, count: int, days: int, seed: int, batch: int, grids: int | None, **options: Any
    ) -> None:
        if batch < 1:
            raise CommandError(_("Give a batch of at least 1 case."))
        options_ = generate.GenerateOptions(count=count, days=days, seed=seed, batch=batch, grids=grids)
        bar = command_progress(self.stderr, disabled=options["no_progress"])(
            total=count, unit=_("cases"), smoothing=0.1
        )
        try:
            result = generate.generate_cases(options_, progress=bar.update)
        except ApplicationError as exc:
            raise CommandError(exc.message)
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Generated %(cases)d cases (ids %(first)d–%(last)d, %(open)d open) in %(seconds).0f s on "
                    "%(vendor)s: %(events)d events, %(notifications)d notifications, %(photos)d photo rows, "
                    "%(co)d co-agency rows, %(accounts)d accounts."
                )
                % {
                    "cases": result.cases,
                    "first": result.first_id,
                    "last": result.last_id,
                    "open": result.open_cases,
                    "seconds": result.seconds,
                    "vendor": connection.vendor,
                    "events": result.events,
                    "notifications": result.notifications,
                    "photos": result.photos,
                    "co": result.co_agencies,
                    "accounts": result.accounts,
                }
            )
        )
        grown = result.grown
        if grown.grids:
            self.stdout.write(
                _(
                    "Added %(districts)d districts, %(towns)d towns, %(villages)d villages and %(grids)d grids "
                    "with their boundaries, %(agencies)d agencies and %(accounts)d staff accounts beside the "
                    "demo county: %(total)d grids in all."
                )
                % {
                    "districts": grown.districts,
                    "towns": grown.towns,
                    "villages": grown.villages,
                    "grids": grown.grids,
                    "agencies": grown.agencies,
                    "accounts": grown.accounts,
                    "total": grown.total_grids,
                }
            )
        self.stdout.write(
            _("Time spent: %(parts)s.")
            % {"parts": ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result.timings.items())}
        )
