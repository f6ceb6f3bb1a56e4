"""Every write to cases, one module per concern; import the functions from here.

- `intake`: file a report as a case (every door: pages, API, 12345, Open311)
- `acting`: apply a workflow action, comment
- `notifying`: in-app notifications and whose queue a case is in
- `sweeping`: the deadline sweep
- `digest`: the daily digest (a person's choice, the hourly run)
- `photos`: photo validation and storage
"""

from civicgrid.cases.services.acting import (
    AppointmentIn,
    action_recorded,
    case_act,
    case_comment,
    dispatch_input_errors,
)
from civicgrid.cases.services.digest import DigestRun, notice_preference_set, notices_digest
from civicgrid.cases.services.intake import Intake, case_create
from civicgrid.cases.services.notifying import notifications_mark_read, notify, queue_owners, supervisors
from civicgrid.cases.services.photos import photos_check_count, photos_clean
from civicgrid.cases.services.sweeping import SweepResult, cases_sweep
from civicgrid.cases.workflow import allowed_actions

__all__ = [
    "AppointmentIn",
    "DigestRun",
    "Intake",
    "SweepResult",
    "action_recorded",
    "allowed_actions",
    "case_act",
    "case_comment",
    "case_create",
    "cases_sweep",
    "dispatch_input_errors",
    "notice_preference_set",
    "notices_digest",
    "notifications_mark_read",
    "notify",
    "photos_check_count",
    "photos_clean",
    "queue_owners",
    "supervisors",
]
