"""Following a case: "add mine" to a nearby open report instead of filing a duplicate.

A follower is told when the case is resolved, closed or answered (`notifying.notify_followers`); the
staff handling the case see how many follow it (`presenters`). Following writes one row and nothing
on the case's record, so it moves none of the kept counts or figures (`cases.counts`, `cases.figures`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases import access
from civicgrid.cases.models import TERMINAL_STATES, Case, CaseFollower
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied


@dataclass(frozen=True)
class Follow:
    case: Case
    follower: CaseFollower
    # False when the person already followed the case (the same row is returned).
    created: bool


def followable_case(*, user: User, tracking_number: str) -> Case:
    """Return the case `user` may follow by its tracking number: a public one, or one they may see.

    Anything else is "not found", as the public status page says, so its existence is not disclosed.
    """
    number = (tracking_number or "").strip()[:20]
    case = Case.objects.filter(tracking_number=number).first() if number else None
    if case is None or not (case.is_public or access.can_view(user, case)):
        raise NotFound(_("No public case has this tracking number."))
    return case


@transaction.atomic
def case_follow(*, case: Case, user: User, source: str = CaseFollower.Source.REPORT_PAGE) -> Follow:
    """Make `user` a follower of the open `case`; following twice keeps one row.

    1. Refuse someone not signed in, a case that is no longer open (closed, rejected, merged) and the
       case's own reporter, who is told of it anyway.
    2. Create the row, or return the one there (also when a concurrent request made it first).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in to follow a report."), code="not_signed_in")
    state = Case.objects.filter(pk=case.pk).values_list("state", "reporter_id").first()
    if state is None:
        raise NotFound(_("No public case has this tracking number."))
    current, reporter_id = state
    if current in TERMINAL_STATES:
        raise Conflict(
            _("This report is no longer open, so it cannot be followed. Send yours as a new report."),
            code="case_not_open",
        )
    if reporter_id == user.pk:
        raise Conflict(
            _("You reported this problem yourself: you are told of it already."), code="own_report"
        )
    existing = CaseFollower.objects.filter(case_id=case.pk, user_id=user.pk).first()
    if existing is not None:
        return Follow(case=case, follower=existing, created=False)
    try:
        with transaction.atomic():
            row = CaseFollower.objects.create(case_id=case.pk, user_id=user.pk, source=source)
    except IntegrityError:
        row = CaseFollower.objects.get(case_id=case.pk, user_id=user.pk)
        return Follow(case=case, follower=row, created=False)
    return Follow(case=case, follower=row, created=True)


def follower_ids(case: Case) -> list[int]:
    """Return the ids of the active people following `case` (its unique index, one query)."""
    return list(
        CaseFollower.objects.filter(case_id=case.pk, user__is_active=True)
        .order_by()
        .values_list("user_id", flat=True)
    )
