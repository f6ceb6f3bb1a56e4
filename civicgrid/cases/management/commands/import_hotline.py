"""Check a CSV or Excel export of 12345 hotline orders; file them as cases with --commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicgrid.cases import hotline
from civicgrid.core.errors import PermissionDenied
from civicgrid.core.progress import command_progress


class Command(BaseCommand):
    help = (
        "Check a .csv (UTF-8 or GB18030) or .xlsx export of 12345 hotline orders and report on every row "
        "(rows are numbered as a spreadsheet shows them, the header being row 1); file the orders as "
        "cases only with --commit, each row on its own. An order already filed is reported as existing, "
        "never filed twice. Headers in Chinese or English: 工单编号/order_number, 诉求分类/category, "
        "诉求内容/description, 经度/lon, 纬度/lat, 坐标系/crs, 地址/address, 来电号码/caller_phone, "
        "来电人/caller_name, 紧急/urgent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export: .csv or .xlsx (first sheet)")
        parser.add_argument("--commit", action="store_true", help="File the orders; without it, only check.")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Record the cases as this user (a town operator, district or city administrator).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["user"]:
            raise CommandError(_("Give --user: the staff member the cases are recorded by."))
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active user “%(username)s”.") % {"username": options["user"]})
        path = Path(options["file"])
        try:
            orders = hotline.read_orders(path)
        except hotline.FileProblem as exc:
            raise CommandError(str(exc))

        commit = options["commit"]
        progress = command_progress(self.stderr, disabled=options["no_progress"])
        counts = {"created": 0, "exists": 0, "failed": 0}
        results = hotline.import_orders(
            orders=progress(orders, desc=path.name, unit=_("row")), user=user, commit=commit
        )
        try:
            for result in results:
                counts[result.outcome] += 1
                self.stdout.write(self._line(result, commit))
        except PermissionDenied:
            raise CommandError(
                _("%(username)s may not record cases on someone's behalf.") % {"username": user.username}
            ) from None

        if commit:
            summary = _("Created %(created)d, already there %(exists)d, failed %(failed)d.") % counts
        else:
            summary = (
                _("Would create %(created)d, already there %(exists)d, failed %(failed)d.") % counts
                + " "
                + _("Nothing was written; run again with --commit to import.")
            )
        self.stdout.write(summary)
        if counts["failed"]:
            raise CommandError(
                ngettext("%(n)d row failed.", "%(n)d rows failed.", counts["failed"])
                % {"n": counts["failed"]}
            )

    @staticmethod
    def _line(result: hotline.RowResult, commit: bool) -> str:
        n = result.number
        if result.outcome == "failed":
            return _("row %(n)d: error: %(message)s") % {"n": n, "message": result.message}
        if result.same_as_row is not None:
            return _("row %(n)d: exists (the same order as row %(row)d)") % {
                "n": n,
                "row": result.same_as_row,
            }
        if result.outcome == "exists":
            return _("row %(n)d: exists %(number)s") % {"n": n, "number": result.tracking_number}
        if commit:
            return _("row %(n)d: created %(number)s") % {"n": n, "number": result.tracking_number}
        return _("row %(n)d: would be created") % {"n": n}
