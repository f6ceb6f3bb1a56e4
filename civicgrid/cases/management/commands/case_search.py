"""Check or rebuild the text search index of cases (civicgrid/cases/search.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.cases import search


class Command(BaseCommand):
    help = (
        "Check the case search index (--check), rebuild it from the cases after a bulk load (--rebuild; "
        "intake waits while it runs, about 1-2 minutes per million cases), or drop it before one (--drop)."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--check", action="store_true", help="Compare the index with this code and the cases."
        )
        action.add_argument(
            "--rebuild", action="store_true", help="Recreate the index and fill it from the cases."
        )
        action.add_argument(
            "--drop",
            action="store_true",
            help="Remove the index and its triggers (a bulk load then --rebuild).",
        )
        parser.add_argument("--database", default="default", help="The database to work on.")

    def handle(self, *args, check: bool, rebuild: bool, drop: bool, database: str, **options):
        if drop:
            search.drop(database)
            self.stdout.write(_("Dropped the case search index; run case_search --rebuild after the load."))
            return
        if rebuild:
            search.rebuild(database)
            self.stdout.write(_("Rebuilt the case search index."))
        health = search.check(database)
        for problem in health.problems:
            self.stderr.write(problem)
        if not health.ok:
            raise CommandError(_("The case search index needs case_search --rebuild."))
        if health.indexed is None:
            self.stdout.write(
                _("The case search index is in order (%(cases)d cases).") % {"cases": health.cases}
            )
        else:
            self.stdout.write(
                _("The case search index is in order (%(indexed)d of %(cases)d cases indexed).")
                % {"indexed": health.indexed, "cases": health.cases}
            )
