"""Check a GeoJSON file of places and grid boundaries; import it with --commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError
from civicgrid.core.progress import command_progress
from civicgrid.places import importer


class Command(BaseCommand):
    help = (
        "Check a GeoJSON FeatureCollection of places and boundaries (the format of the places export) "
        "and report every problem; write it, all or nothing, only with --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON file (UTF-8, WGS-84)")
        parser.add_argument(
            "--commit", action="store_true", help="Write the places; without it, only check and report."
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="Import as this user: refuse places outside their area."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror})
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("No active user “%(username)s”.") % {"username": options["user"]})
        progress = command_progress(self.stderr, disabled=options["no_progress"])

        plan = importer.check_places(raw, user=user, progress=progress)
        for problem in plan.problems:
            self.stdout.write(str(problem))
        counts = {
            "created": len(plan.creates),
            "updated": len(plan.updates),
            "redrawn": len(plan.redraws),
            "unchanged": plan.unchanged,
        }
        if plan.feature_count:
            self.stdout.write(
                _(
                    "Would create %(created)d, update %(updated)d, redraw %(redrawn)d, unchanged %(unchanged)d."
                )
                % counts
            )
        if plan.problems:
            raise CommandError(importer.problems_message(plan.problems))
        if not options["commit"]:
            self.stdout.write(_("Nothing was written; run again with --commit to import."))
            return
        try:
            result = importer.apply_plan(plan, source=f"import_places {path.name}", progress=progress)
        except ApplicationError as exc:
            for problem in exc.extra.get("problems", []):
                self.stdout.write(str(importer.Problem(**problem)))
            raise CommandError(exc.message)
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(created)d, updated %(updated)d, redrew %(redrawn)d, unchanged %(unchanged)d.")
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "redrawn": result.redrawn,
                    "unchanged": result.unchanged,
                }
            )
        )
