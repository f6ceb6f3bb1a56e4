"""Check a CSV or Excel export of 12345 hotline orders; file them as cases with --commit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicgrid.cases import categories, hotline, hotline_categories
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.core.progress import command_progress


class Command(BaseCommand):
    help = (
        "Check a .csv (UTF-8 or GB18030) or .xlsx export of 12345 hotline orders and report on every row "
        "(rows are numbered as a spreadsheet shows them, the header being row 1): the grid each order goes "
        "to and how sure the address match is, or the region's unrouted queue; file the orders as cases "
        "only with --commit, each row on its own. An order already filed is reported as existing, never "
        "filed twice. Headers as hotline exports write them: 工单编号, 受理时间, 来电人, 来电号码, 诉求类型, "
        "问题分类 (a category path, or a CivicGrid code), 诉求内容, 事发地址, 承办单位, 办理时限 (a date-time or "
        "5个工作日), and optionally 经度, 纬度, 坐标系, 紧急程度 (and their variants, or English names). A "
        "category path not mapped yet is asked once at the terminal (a CivicGrid category code; ? lists "
        "them), or answered with --map PATH=CODE or on the web page; the answer is kept for later imports."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export: .csv or .xlsx (first sheet)")
        parser.add_argument("--commit", action="store_true", help="File the orders; without it, only check.")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Record the cases as this user (a town operator, district or city administrator).",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="PATH=CODE",
            help="Map a hotline category path to a CivicGrid category code before the run (repeatable); "
            "kept for every later import.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for the category of paths not mapped yet: list them and leave their rows.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["user"]:
            raise CommandError(_("Give --user: the staff member the cases are recorded by."))
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active user “%(username)s”.") % {"username": options["user"]})
        path = Path(options["file"])
        try:
            hotline.check_import(user)
        except PermissionDenied:
            raise CommandError(
                _("%(username)s may not record cases on someone's behalf.") % {"username": user.username}
            ) from None
        for answer in options["map"]:
            self._map(user, answer)
        try:
            orders = hotline.read_orders(path)
        except hotline.FileProblem as exc:
            raise CommandError(str(exc)) from None

        commit = options["commit"]
        progress = command_progress(self.stderr, disabled=options["no_progress"])

        def import_run(write: bool) -> hotline.Run:
            try:
                return hotline.import_orders(
                    orders=orders,
                    user=user,
                    commit=write,
                    progress=lambda rows: progress(rows, desc=path.name, unit=_("row")),
                )
            except PermissionDenied:
                raise CommandError(
                    _("%(username)s may not record cases on someone's behalf.") % {"username": user.username}
                ) from None

        stdin = options.get("stdin") or sys.stdin
        if options["interactive"] and getattr(stdin, "isatty", lambda: False)():
            # At a terminal: check first, ask the paths not mapped yet, then run with the answers,
            # so the rows of an answered path are filed in the same run.
            run = import_run(False)
            if (run.unmapped and self._ask(user, run.unmapped, stdin)) or commit:
                run = import_run(commit)
        else:
            run = import_run(commit)
        for result in run.results:
            self.stdout.write(self._line(result, commit))
        for entry in run.unmapped:
            self.stdout.write(
                ngettext(
                    'category path not mapped yet: %(path)s (%(n)d row); answer with --map "%(path)s=CODE"',
                    'category path not mapped yet: %(path)s (%(n)d rows); answer with --map "%(path)s=CODE"',
                    entry.rows,
                )
                % {"path": entry.path, "n": entry.rows}
            )
        counts = run.counts
        summary = (
            _(
                "Routed to their grid %(routed)d, unrouted %(unrouted)d, already there %(repeated)d, "
                "category not mapped %(unmapped)d, failed %(failed)d."
            )
            % counts
        )
        if not commit:
            summary += " " + _("Nothing was written; run again with --commit to import.")
        self.stdout.write(summary)
        refused = counts["failed"] + counts["unmapped"]
        if refused:
            raise CommandError(ngettext("%(n)d row failed.", "%(n)d rows failed.", refused) % {"n": refused})

    def _ask(self, user, unmapped: list[hotline.Unmapped], stdin) -> int:
        """Ask the category of each path not mapped yet, once; return how many were answered."""
        self.stdout.write(
            _(
                "These hotline category paths are not mapped yet. Give each a CivicGrid category code "
                "(? lists them; an empty answer leaves the path and its rows):"
            )
        )
        answered = 0
        for entry in unmapped:
            while True:
                rows = ngettext("%(n)d row", "%(n)d rows", entry.rows) % {"n": entry.rows}
                self.stdout.write(f"{entry.path} ({rows}): ", ending="")
                self.stdout.flush()
                line = stdin.readline()
                if not line:  # end of input: leave the rest as they are
                    self.stdout.write("")
                    return answered
                code = line.strip()
                if not code:
                    break
                if code == "?":
                    for category in categories.reportable():
                        self.stdout.write(f"  {category.code}  {category.display_name}")
                    continue
                try:
                    hotline_categories.mapping_answer(
                        actor=user, key=entry.key, path=entry.path, category=code
                    )
                except PermissionDenied as exc:
                    self.stdout.write(exc.message)
                    return answered
                except ApplicationError as exc:
                    self.stdout.write(hotline.error_text(exc))
                    continue
                answered += 1
                break
        return answered

    @staticmethod
    def _map(user, answer: str) -> None:
        path, sep, code = answer.rpartition("=")
        if not sep or not path.strip() or not code.strip():
            raise CommandError(_('Write --map as PATH=CODE, e.g. --map "城乡建设>市容环卫>垃圾清运=E0104".'))
        try:
            hotline_categories.mapping_answer(actor=user, key=path, path=path, category=code.strip())
        except PermissionDenied as exc:
            raise CommandError(exc.message) from None
        except ApplicationError as exc:
            raise CommandError(f"{path}: {hotline.error_text(exc)}") from None

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
        where = _where(result)
        if commit:
            return _("row %(n)d: created %(number)s, %(where)s") % {
                "n": n,
                "number": result.tracking_number,
                "where": where,
            }
        return _("row %(n)d: would be created, %(where)s") % {"n": n, "where": where}


def _where(result: hotline.RowResult) -> str:
    """Where a row's case goes, as the report says it: the grid and how it was found, or the queue."""
    if result.outcome == "unrouted":
        return _("unrouted, in the queue of %(place)s") % {"place": result.place}
    if result.routed_by == "point":
        return _("in %(grid)s (by its point)") % {"grid": result.place}
    return _("in %(grid)s (address %(method)s, confidence %(confidence)s)") % {
        "grid": result.place,
        "method": result.routed_by,
        "confidence": f"{result.confidence:.2f}" if result.confidence is not None else "—",
    }
