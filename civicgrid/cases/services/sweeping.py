"""The deadline sweep: overdue steps, warnings before deadlines, cases nobody rated."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.cases import notices
from civicgrid.cases.models import (
    TERMINAL_STATES,
    Case,
    CaseEvent,
    Notification,
)
from civicgrid.cases.services.acting import case_act
from civicgrid.cases.services.notifying import notify, queue_owners, supervisors
from civicgrid.core.errors import ApplicationError, Conflict

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
State = Case.State
# Django computes `Choices.values` on every access; intake checks these on every report.
SOURCES = frozenset(Case.Source.values)
PRIORITIES = frozenset(Case.Priority.values)

# ---------------------------------------------------------------------------------------------
# The sweep


@dataclass
class SweepResult:
    overdue: int = 0
    due_soon: int = 0
    auto_closed: int = 0


def cases_sweep(*, now: datetime | None = None) -> SweepResult:
    """Mark overdue steps and tell the level above; warn of deadlines near; close unrated cases.

    Each case is handled with a compare-and-set, so two sweeps running at once do each thing once.
    """
    now = now or timezone.now()
    result = SweepResult()
    open_states = [s for s in State.values if s not in TERMINAL_STATES]
    for case in Case.objects.filter(state=State.RESOLVED, step_due_at__lt=now).select_related("category"):
        try:
            case_act(case=case, action="auto_close", actor=None, system=True)
            result.auto_closed += 1
        except (Conflict, ApplicationError):
            continue
    overdue = Case.objects.filter(state__in=open_states, step_due_at__lt=now, is_overdue=False).exclude(
        state__in=[State.RESOLVED, State.SUSPENDED]
    )
    for case in overdue.select_related("category"):
        with transaction.atomic():
            if not Case.objects.filter(pk=case.pk, version=case.version, is_overdue=False).update(
                is_overdue=True
            ):
                continue
            CaseEvent.objects.create(
                case=case,
                actor=None,
                actor_role="system",
                action="overdue",
                from_state=case.state,
                to_state=case.state,
                data={"due": case.step_due_at.isoformat()},
                is_public=False,
            )
            params = {"number": case.tracking_number, "state": case.state}
            ids = supervisors(case, case.state) + queue_owners(case, case.state)
            transaction.on_commit(
                lambda case=case, ids=ids, params=params: notify(
                    user_ids=ids,
                    case=case,
                    kind=Notification.Kind.OVERDUE,
                    message=notices.OVERDUE,
                    params=params,
                )
            )
        result.overdue += 1
    soon = now + timedelta(hours=settings.CASE_DUE_SOON_HOURS)
    due_soon = Case.objects.filter(
        Q(step_due_at__gte=now, step_due_at__lt=soon),
        state__in=open_states,
        due_notice_sent=False,
        is_overdue=False,
    ).exclude(state__in=[State.RESOLVED, State.SUSPENDED])
    for case in due_soon:
        if not Case.objects.filter(pk=case.pk, due_notice_sent=False).update(due_notice_sent=True):
            continue
        local_due = timezone.localtime(case.step_due_at)
        notify(
            user_ids=queue_owners(case, case.state),
            case=case,
            kind=Notification.Kind.DUE_SOON,
            message=notices.DUE_SOON,
            params={"number": case.tracking_number, "time": f"{local_due:%m-%d %H:%M}"},
        )
        result.due_soon += 1
    return result
