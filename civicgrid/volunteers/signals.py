"""What the volunteers app announces to the apps above it (points listens; volunteers never imports
points).

`hours_approved` is sent once the transaction that approved an hours record has committed, with
`record` (an `HoursAnnouncement`). A correction is a record of its own (its minutes may be below
zero) and is announced when it is approved, like any other. Receivers must be idempotent (points
keys its entries by the record's id) and must not undo the approval when they fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.dispatch import Signal

hours_approved = Signal()


@dataclass(frozen=True)
class HoursAnnouncement:
    record_id: int
    # "attendance" (from check-in and check-out, or the leader's hand), "correction" (of `corrects`),
    # or "manual" (hours recorded by the organiser without an activity's attendance).
    kind: str
    user_id: int
    volunteer_id: int
    activity_id: int | None
    team_id: int | None
    # The village or community (a places.Place of level "village") the service was given in.
    community_id: int
    # A `volunteers.choices.ServiceField` value.
    service_field: str
    # Signed: a correction that takes hours away is below zero.
    minutes: int
    # The local day of the service.
    day: date
    approved_at: datetime
    approved_by_id: int | None
    corrects_id: int | None = None
