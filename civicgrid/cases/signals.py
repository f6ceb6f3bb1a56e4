"""What the case loop announces to the apps above it, which listen (points: a report accepted earns
its reporter points). The case loop never imports them.

`case_event_committed` is sent once the transaction that recorded a workflow action has committed,
with `event` (a `CaseAnnouncement`). Receivers run after the commit (`robust`: a receiver's error
is logged, never undoes or refuses the action), so what they do must be idempotent and repairable
from the recorded events (points keys each entry by the case and the fact).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.dispatch import Signal

case_event_committed = Signal()
logger = logging.getLogger("civicgrid.cases.signals")


@dataclass(frozen=True)
class CaseAnnouncement:
    case_id: int
    event_id: int
    action: str
    from_state: str
    to_state: str
    at: datetime
    actor_id: int | None
    reporter_id: int | None
    source: str
    category_id: int | None
    grid_id: int | None
    village_id: int | None
    town_id: int | None


def announce_on_commit(case, event) -> None:
    """Send `case_event_committed` for `event` of `case` when the current transaction commits."""
    message = CaseAnnouncement(
        case_id=case.pk,
        event_id=event.pk,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        at=event.at,
        actor_id=event.actor_id,
        reporter_id=case.reporter_id,
        source=case.source,
        category_id=case.category_id,
        grid_id=case.grid_id,
        village_id=case.village_id,
        town_id=case.town_id,
    )
    transaction.on_commit(functools.partial(_send, message))


def _send(message: CaseAnnouncement) -> None:
    for receiver, result in case_event_committed.send_robust(sender=CaseAnnouncement, event=message):
        if isinstance(result, Exception):
            logger.error(
                "A receiver of case %s's %s failed: %r",
                message.case_id,
                message.action,
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )
