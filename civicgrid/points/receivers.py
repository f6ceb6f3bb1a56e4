"""The points app's receivers of the announcements of the apps below it (connected in PointsConfig.ready).

Both announcements are sent after their transaction commits; a receiver's failure is logged by the
sender and never undoes the action. Points are then repaired from the records by `points_backfill`
(cases) or by announcing the hours again: every posting is idempotent.
"""

from __future__ import annotations

from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.points import services


def on_case_event(sender, event, **kwargs) -> None:
    """A report accepted on verification earns its reporter points (`services.report_accepted`)."""
    if event.action != "accept":
        return
    number = Case.objects.filter(pk=event.case_id).values_list("tracking_number", flat=True).first() or ""
    services.report_accepted(
        case_id=event.case_id,
        reporter_id=event.reporter_id,
        source=event.source,
        community_id=event.village_id,
        day=timezone.localdate(event.at),
        tracking_number=number,
    )


def on_hours_approved(sender, record, **kwargs) -> None:
    services.hours_approved(record)
