"""The deadline sweep: overdue steps, warnings before deadlines, cases nobody rated.

Run by `manage.py sweep_cases [--loop]` or the `sweep_cases` task. Each case is handled on its own, in
its own transaction, with a compare-and-set: two sweeps running at once do each thing once, and each
thing done leaves its event on the case's record and its notifications, or nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from civicgrid.cases import notices
from civicgrid.cases.models import Case, CaseEvent, Notification
from civicgrid.cases.services.acting import case_act
from civicgrid.cases.services.notifying import notify, queue_owners, supervisors
from civicgrid.cases.workflow import STATES
from civicgrid.core.errors import ApplicationError

State = Case.State
# The states whose passed deadline makes the step overdue (not the rating window, not a suspension).
DEADLINE_STATES = [s for s, facts in STATES.items() if facts.overdue]


@dataclass
class SweepResult:
    overdue: int = 0
    due_soon: int = 0
    auto_closed: int = 0


def cases_sweep(*, now: datetime | None = None) -> SweepResult:
    """Close unrated cases whose rating window ended; mark overdue steps and tell the holder and the
    level above; warn the holder of a deadline within CASE_DUE_SOON_HOURS."""
    now = now or timezone.now()
    result = SweepResult()
    for case in Case.objects.filter(state=State.RESOLVED, step_due_at__lt=now).select_related("category"):
        try:
            case_act(case=case, action="auto_close", actor=None, system=True)
        except ApplicationError:
            continue  # rated or changed since it was read
        result.auto_closed += 1
    overdue = Case.objects.filter(state__in=DEADLINE_STATES, step_due_at__lt=now, is_overdue=False)
    for case in overdue.select_related("category"):
        if _mark(case, flag="is_overdue", action="overdue", now=now):
            result.overdue += 1
    soon = now + timedelta(hours=settings.CASE_DUE_SOON_HOURS)
    due_soon = Case.objects.filter(
        state__in=DEADLINE_STATES,
        step_due_at__gte=now,
        step_due_at__lt=soon,
        due_notice_sent=False,
        is_overdue=False,
    )
    for case in due_soon:
        if _mark(case, flag="due_notice_sent", action="due_soon", now=now):
            result.due_soon += 1
    return result


def _mark(case: Case, *, flag: str, action: str, now: datetime) -> bool:
    """Set `flag` on the case if its step is still the one read, with an internal event on its record
    and the notifications, in one transaction; return False when someone moved the case first."""
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, version=case.version, **{flag: False}).update(**{flag: True}):
            return False
        CaseEvent.objects.create(
            case=case,
            actor=None,
            actor_role="system",
            action=action,
            from_state=case.state,
            to_state=case.state,
            data={"due": case.step_due_at.isoformat()},
            is_public=False,
        )
        if action == "overdue":
            notify(
                user_ids=supervisors(case, case.state) + queue_owners(case, case.state),
                case=case,
                kind=Notification.Kind.OVERDUE,
                message=notices.OVERDUE,
                params={"number": case.tracking_number, "state": case.state},
            )
        else:
            local_due = timezone.localtime(case.step_due_at)
            notify(
                user_ids=queue_owners(case, case.state),
                case=case,
                kind=Notification.Kind.DUE_SOON,
                message=notices.DUE_SOON,
                params={
                    "number": case.tracking_number,
                    "time": f"{local_due:%m-%d %H:%M}",
                    "state": case.state,
                },
            )
    return True
