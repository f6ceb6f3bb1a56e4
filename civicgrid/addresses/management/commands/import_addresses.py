"""Check a workbook of standard addresses (.xlsx or .csv) against the register; import it with --commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicgrid.addresses import importer
from civicgrid.core.errors import PermissionDenied
from civicgrid.places.models import Place


class Command(BaseCommand):
    help = (
        "Check a .csv (UTF-8 or GB18030) or .xlsx workbook of standard addresses and report on every row "
        "(numbered as a spreadsheet shows them, the header being row 1); import only with --commit, each "
        "row on its own (a failed row is reported, the others are written). The same file twice adds "
        "nothing. Every row's grid must lie within --region. Headers in Chinese or English: 网格编码/grid, "
        "道路/road, 门牌号/number, 小区/compound, 楼栋/building, 单元/unit, 别名/aliases, 经度/lon, 纬度/lat, "
        "标准地址/address."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The workbook: .csv or .xlsx (first sheet)")
        parser.add_argument(
            "--region", required=True, metavar="CODE", help="The code of the region imported into."
        )
        parser.add_argument(
            "--commit", action="store_true", help="Write the addresses; without it, only check."
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Import as this user (checked like the upload page); without it, as the system.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        region = Place.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(_("No place has the code %(code)s.") % {"code": options["region"]})
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("No active user “%(username)s”.") % {"username": options["user"]})
        try:
            rows = importer.read_path(Path(options["file"]))
        except importer.FileProblem as exc:
            raise CommandError(str(exc)) from None
        commit = options["commit"]
        try:
            results = importer.import_rows(rows=rows, region=region, user=user, commit=commit)
        except PermissionDenied as exc:
            raise CommandError(exc.message) from None
        for result in results:
            self.stdout.write(self._line(result, commit))
        counts = importer.outcome_counts(results)
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
    def _line(result: importer.RowResult, commit: bool) -> str:
        n = result.number
        if result.outcome == "failed":
            return _("row %(n)d: error: %(message)s") % {"n": n, "message": result.message}
        if result.outcome == "exists":
            if result.same_as_row is not None:
                return _("row %(n)d: exists (the same address as row %(row)d)") % {
                    "n": n,
                    "row": result.same_as_row,
                }
            return _("row %(n)d: exists %(text)s") % {"n": n, "text": result.text}
        if commit:
            return _("row %(n)d: created %(text)s") % {"n": n, "text": result.text}
        return _("row %(n)d: would be created %(text)s") % {"n": n, "text": result.text}
