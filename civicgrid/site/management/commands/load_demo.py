"""`manage.py load_demo`: load the demo county once; `make demo` runs it on every start."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core.errors import ApplicationError
from civicgrid.site import demo


class Command(BaseCommand):
    help = (
        "Load the demo county (a fictional county-level city with towns, villages, about 300 grids, "
        "agencies and a login for every role). Does nothing if it is already loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Remove the demo data first (refused while anything else refers to it).",
        )
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins.")

    def handle(self, *args: Any, reset: bool = False, print_logins: bool = False, **options: Any) -> None:
        if print_logins:
            self.stdout.write(demo.logins_table())
            return
        started = time.perf_counter()
        try:
            with transaction.atomic():
                if reset:
                    removed = demo.demo_delete()
                    self.stdout.write(_("Removed the demo county (%(n)d places).") % {"n": removed})
                result = demo.demo_load()
        except ApplicationError as exc:
            raise CommandError(exc.message)
        if not result.created:
            self.stdout.write(
                _("The demo county (%(city)s, %(code)s) is already loaded; nothing changed.")
                % {"city": demo.CITY[0], "code": demo.CITY_CODE}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Loaded the demo county in %(seconds).1f s: %(places)d places, %(agencies)d agencies, "
                        "%(users)d accounts, %(cases)d cases."
                    )
                    % {
                        "seconds": time.perf_counter() - started,
                        "places": result.places,
                        "agencies": result.agencies,
                        "cases": result.cases,
                        "users": result.users,
                    }
                )
            )
            if result.skipped_usernames:
                self.stdout.write(
                    self.style.WARNING(
                        _("These account names were already taken and were left as they are: %(names)s")
                        % {"names": ", ".join(result.skipped_usernames)}
                    )
                )
        self.stdout.write("")
        self.stdout.write(demo.logins_table())
