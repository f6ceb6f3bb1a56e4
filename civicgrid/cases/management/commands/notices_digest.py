"""Send the daily digests that are due: run it hourly (cron or a systemd timer, docs/deploy.md)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from civicgrid.cases.services import notices_digest


class Command(BaseCommand):
    help = (
        "Send each person who chose the daily digest their digest of notifications, once a day, when "
        "their digest hour has come (run it hourly; a second run in the day sends nothing more)."
    )

    def handle(self, *args, **options):
        run = notices_digest()
        self.stdout.write(
            _("Daily digest: %(people)d people due, %(notified)d digests written, %(emailed)d emails sent.")
            % {"people": run.people, "notified": run.notified, "emailed": run.emailed}
        )
