"""The case workflow in one module: the facts of each state, the transitions, and what each action does.

- `STATES`: per state, its public label, whose work it is (the *holder*: whose queue, who is told),
  which deadline runs, who is told when it passes, and the work queue it appears in.
- `TRANSITIONS`: (state, action) → target, the actor kinds that may do it, what it requires and
  accepts, the deadlines it starts and stops, its declared effects on the case, who is told, and
  whether the step and its note are public.

`services.case_act` is the only code that changes a case's state, and it does so by reading these
tables; pages and the API read them to offer only the actions a person may take now. Adding an action
is one row here (and, if it does something new to the case, one effect function below).

Actor kinds (who someone is to a case, from the relations of `cases/access.py`):
- grid: a grid worker or leader of the case's grid (for an unrouted case: the village cadre or
  town operator of the region it landed in)
- village: a cadre of the case's village; town: an operator of the case's town command centre
- agency: staff of the case's lead agency; reporter: the person who reported it
- follow_up: a town operator or village cadre recording a phone follow-up (回访)
- viewer: anyone who may see the case; system: the sweep
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import access, deadlines
from civicgrid.cases.models import TERMINAL_STATES, Case, Satisfaction
from civicgrid.core.scopes import is_root, is_signed_in

S = Case.State


def resolution_due(case: Case, now: datetime) -> datetime | None:
    """The resolution deadline a step starting now sets: the category's, never past the time limit the
    case came with (`Case.due_limit`, a 12345 order's own 办理时限)."""
    due = deadlines.resolution_due(case.category, case.priority, now)
    if case.due_limit is not None and (due is None or due > case.due_limit):
        return case.due_limit
    return due


# ---------------------------------------------------------------------------------------------
# The states


@dataclass(frozen=True)
class StateFacts:
    state: str
    # What the reporter and the public read (staff read the state's own label, `Case.State`).
    public_label: Promise
    # Whose work a case in this state is: "grid", "village", "town", "agency", "reporter", "" (nobody).
    holder: str
    # The deadline of the step: a fixed window ("verify", "decide", "dispatch", "check", "rating") or
    # the category's ("response", "resolution"); "" for none.
    deadline: str
    # How the work lists label that deadline.
    due_label: Promise | str
    # Whether a passed deadline makes the step overdue (the sweep flags it and tells `supervisor`).
    # The rating window closes the case by itself, and a suspended case waits on purpose.
    overdue: bool
    # Who is told when the step is overdue: "village" (or the town when the village has nobody),
    # "town", "district", "".
    supervisor: str
    # The work queue (`selectors.QUEUES`) the case is in for its holder.
    queue: str

    @property
    def label(self) -> str:
        return str(S(self.state).label)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


def _state(state, public_label, holder="", deadline="", due_label="", overdue=True, supervisor="", queue=""):
    return StateFacts(
        state, public_label, holder, deadline, due_label, overdue and bool(deadline), supervisor, queue
    )


STATES: dict[str, StateFacts] = {
    f.state: f
    for f in [
        _state(S.REPORTED, _("Received, being verified"), "grid", "verify", _("Verify by"), True, "village", "verify"),
        _state(S.ACCEPTED, _("Accepted"), "grid", "decide", _("Decide by"), True, "village", "decide"),
        _state(S.REJECTED, _("Not accepted")),
        _state(S.MERGED, _("Merged into another report")),
        _state(S.GRID_HANDLING, _("Being handled"), "grid", "resolution", _("Resolve by"), True, "village", "decide"),
        _state(S.VILLAGE, _("Being handled"), "village", "decide", _("Decide by"), True, "town", "village"),
        _state(S.VILLAGE_HANDLING, _("Being handled"), "village", "resolution", _("Resolve by"), True, "town", "village"),
        _state(S.TOWN, _("Being handled"), "town", "dispatch", _("Dispatch by"), True, "district", "dispatch"),
        _state(S.DISPATCHED, _("Sent to the responsible agency"), "agency", "response", _("Sign for by"), True, "town", "sign"),
        _state(S.IN_PROGRESS, _("Being handled by the agency"), "agency", "resolution", _("Resolve by"), True, "town", "in_progress"),
        _state(S.SUSPENDED, _("On hold (long-term)"), "agency", "", "", False, "", "in_progress"),
        _state(S.CHECKING, _("Resolved, being checked"), "grid", "check", _("Check by"), True, "village", "check"),
        _state(S.RESOLVED, _("Resolved, waiting for a rating"), "reporter", "rating", _("Rating closes"), False, "", "rate"),
        _state(S.CLOSED, _("Closed")),
    ]
}  # fmt: skip
OPEN_STATES = tuple(s for s in S.values if not STATES[s].terminal)
# States whose deadline is not one anybody can miss (the sweep and the lists leave them alone).
NO_DEADLINE_STATES = tuple(s for s in OPEN_STATES if not STATES[s].overdue)
# The states a handler works the case in, for rework and reopening.
HANDLER_STATE = {"grid": S.GRID_HANDLING, "village": S.VILLAGE_HANDLING, "agency": S.IN_PROGRESS}


def public_label(state: str) -> str:
    return str(STATES[state].public_label) if state in STATES else ""


def step_due(case: Case, state: str, now: datetime) -> datetime | None:
    """Return the deadline of the step a case enters when it moves to `state` at `now`.

    Verification, deciding, dispatching and checking have fixed windows (settings; 2 hours at most
    for urgent cases); an agency's steps follow the category; a case waiting for its rating closes
    itself when the window ends.
    """
    kind = STATES[state].deadline
    windows = {
        "verify": settings.CASE_VERIFY_HOURS,
        "decide": settings.CASE_DECIDE_HOURS,
        "dispatch": settings.CASE_DISPATCH_HOURS,
        "check": settings.CASE_CHECK_HOURS,
    }
    if kind in windows:
        urgent = deadlines.is_urgent(case.category, case.priority)
        return now + timedelta(hours=min(windows[kind], 2) if urgent else windows[kind])
    if kind == "response":
        return case.response_due_at
    if kind == "resolution":
        return case.resolution_due_at
    if kind == "rating":
        return now + timedelta(days=settings.CASE_RATING_DAYS)
    return None


# ---------------------------------------------------------------------------------------------
# What an action is given, and what it does to the case


@dataclass
class AppointmentIn:
    """An on-site appointment set when dispatching (海棠有约); `starts_at` None when not given."""

    starts_at: datetime | None
    place: str = ""
    participants: str = ""


@dataclass
class ActionInput:
    """The inputs of one action, checked by `services.case_act` against the row's requires/accepts."""

    note: str = ""
    photos: list = field(default_factory=list)
    agency: Any = None  # accounts.Agency
    co_agencies: list = field(default_factory=list)
    appointment: AppointmentIn | None = None
    until: datetime | None = None
    merge_into: Case | None = None
    grid: Any = None  # places.Place
    # assign_grid: where the case is (WGS-84 lon, lat) when the grid was found from a point or an
    # address (`cases.placing`), and how it was placed ("map", "address"); None keeps the point.
    point: tuple[float, float] | None = None
    placed_by: str = ""
    solved: bool | None = None
    satisfaction: str = ""
    reply: bool = False


@dataclass
class Outcome:
    """What applying an action means: the target state, the field changes, the event's data, and the
    rows written beside it (co-handling agencies, an appointment)."""

    target: str
    changes: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    co_agencies: list | None = None
    appointment: AppointmentIn | None = None


def _lead_agency(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    out.changes["lead_agency_id"] = given.agency.pk
    out.data["agency"] = given.agency.pk
    out.co_agencies = list(given.co_agencies)
    out.data["co_agencies"] = [a.pk for a in given.co_agencies]
    if given.appointment is not None and given.appointment.starts_at is not None:
        out.appointment = given.appointment


def _return_lead(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    out.changes["lead_agency_id"] = None
    out.data["agency"] = case.lead_agency_id


def _merge(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    out.changes["merged_into_id"] = given.merge_into.pk
    out.data["merged_into"] = given.merge_into.tracking_number


def _assign_grid(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    out.changes.update(grid_id=given.grid.pk, village_id=given.grid.parent_id, routed=True)
    out.data["grid"] = given.grid.code
    if given.point is not None:
        lon, lat = given.point
        out.changes.update(lon=lon, lat=lat)
        out.data["point"] = [round(lon, 6), round(lat, 6)]
    if given.placed_by:
        out.data["placed_by"] = given.placed_by


def _request(kind: str) -> Callable[[Case, ActionInput, datetime, Outcome], None]:
    def effect(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
        out.changes.update(pending_request=kind, pending_until=given.until)
        if given.until:
            out.data["until"] = given.until.isoformat()

    return effect


def _clear_request(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    out.changes.update(pending_request="", pending_until=None)


def _decide_request(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    """Approve a pending request: a suspension suspends; an extension moves the resolution deadline."""
    out.data["request"] = case.pending_request
    if case.pending_request == Case.Request.SUSPENSION:
        out.target = S.SUSPENDED
    else:
        out.changes["resolution_due_at"] = case.pending_until
    out.changes.update(pending_request="", pending_until=None)


def _rate(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    """Record the rating; an unsatisfied one reopens the case once (CASE_MAX_REOPENS), else it closes."""
    reopen = given.satisfaction == Satisfaction.UNSATISFIED and case.reopen_count < settings.CASE_MAX_REOPENS
    out.target = HANDLER_STATE.get(case.handler, S.IN_PROGRESS) if reopen else S.CLOSED
    out.changes.update(solved=given.solved, satisfaction=given.satisfaction, rated_at=now)
    out.data.update(solved=given.solved, satisfaction=given.satisfaction, reopened=reopen)
    if reopen:
        out.changes["reopen_count"] = case.reopen_count + 1
        out.changes["resolution_due_at"] = resolution_due(case, now)
        out.changes["resolved_at"] = None


def _back_to_handler(case: Case, given: ActionInput, now: datetime, out: Outcome) -> None:
    out.target = HANDLER_STATE.get(case.handler, S.IN_PROGRESS)


# The effects a row may declare, by name.
EFFECTS: dict[str, Callable[[Case, ActionInput, datetime, Outcome], None]] = {
    "lead_agency": _lead_agency,
    "return_lead": _return_lead,
    "merge": _merge,
    "assign_grid": _assign_grid,
    "request_extension": _request(Case.Request.EXTENSION),
    "request_suspension": _request(Case.Request.SUSPENSION),
    "clear_request": _clear_request,
    "decide_request": _decide_request,
    "rate": _rate,
    "back_to_handler": _back_to_handler,
}


# ---------------------------------------------------------------------------------------------
# The transitions


@dataclass(frozen=True)
class Transition:
    state: str
    action: str
    # The next state; None: it stays, or an effect decides (rework, rating, an approved request).
    target: str | None
    actors: frozenset[str]
    label: Promise
    requires: frozenset[str] = field(default_factory=frozenset)
    # What the action accepts besides what it requires.
    accepts: frozenset[str] = field(default_factory=frozenset)
    # "pending" needs a pending request; "no_pending" needs none.
    guard: str = ""
    # The deadline the action starts ("response", "resolution") and the one it stops.
    starts: str = ""
    stops: str = ""
    # Which handler takes the case from here on.
    handler: str = ""
    # What else it does to the case, by name (EFFECTS), in order.
    effects: tuple[str, ...] = ()
    # Who is told, as (audience, message) pairs: the audience is a holder ("town", "agency",
    # "reporter") or "handler" (whoever handles it); the message a name in `notices.MESSAGES_BY_NAME`.
    notify: tuple[tuple[str, str], ...] = ()
    # Whether the holder of the new state is told of new work (when the state changed and is open).
    notify_step: bool = True
    # The kind the action's photos are filed as: "report", "result" or "check".
    photo_kind: str = "result"
    # A button that closes a door: pages ask for confirmation and style it as a danger.
    danger: bool = False
    # The step shows on the reporter's record and the public status page.
    public: bool = True
    # Its note answers the reporter (the reporter and the public read it); other notes are internal.
    reply: bool = False


def T(state, action, target, actors, label, **kw) -> Transition:
    kw = {k: frozenset(v) if k in ("requires", "accepts") else v for k, v in kw.items()}
    return Transition(state, action, target, frozenset(actors), label, **kw)


_ROWS = [
    # 核实 → 立案 / 不予立案 / 合并
    T(S.REPORTED, "accept", S.ACCEPTED, {"grid"}, _("Accept (verified on site)"), accepts={"note", "photos"},
      photo_kind="report"),
    T(S.REPORTED, "reject", S.REJECTED, {"grid"}, _("Reject"), requires={"note"}, danger=True, reply=True,
      notify=(("reporter", "rejected"),)),
    T(S.REPORTED, "merge", S.MERGED, {"grid"}, _("Merge into an existing case"), requires={"merge_into"},
      accepts={"note"}, reply=True, effects=("merge",), notify=(("reporter", "merged"),)),
    T(S.REPORTED, "assign_grid", None, {"village", "town"}, _("Assign to a grid"), requires={"grid"},
      accepts={"note"}, effects=("assign_grid",)),
    # 自处理 or up to the village
    T(S.ACCEPTED, "handle_in_grid", S.GRID_HANDLING, {"grid"}, _("Handle in the grid"), starts="resolution",
      handler="grid"),
    T(S.ACCEPTED, "escalate_to_village", S.VILLAGE, {"grid"}, _("Escalate to the village"), requires={"note"}),
    T(S.GRID_HANDLING, "resolve", S.RESOLVED, {"grid"}, _("Resolved"), requires={"note", "photos"},
      stops="resolution", reply=True),
    T(S.GRID_HANDLING, "escalate_to_village", S.VILLAGE, {"grid"}, _("Escalate to the village"),
      requires={"note"}),
    # The village deliberates, handles, or sends it up to the town command centre
    T(S.VILLAGE, "handle_in_village", S.VILLAGE_HANDLING, {"village"}, _("Handle in the village"),
      accepts={"note"}, starts="resolution", handler="village"),
    T(S.VILLAGE, "escalate_to_town", S.TOWN, {"village"}, _("Escalate to the town command centre"),
      requires={"note"}),
    T(S.VILLAGE_HANDLING, "resolve", S.CHECKING, {"village"}, _("Resolved"), requires={"note", "photos"},
      stops="resolution", reply=True),
    T(S.VILLAGE_HANDLING, "escalate_to_town", S.TOWN, {"village"}, _("Escalate to the town command centre"),
      requires={"note"}),
    # 派单 (海棠有约: an on-site appointment with the co-handlers)
    T(S.TOWN, "dispatch", S.DISPATCHED, {"town"}, _("Dispatch to an agency"), requires={"agency"},
      accepts={"co_agencies", "appointment", "note"}, starts="response", handler="agency",
      effects=("lead_agency",)),
    T(S.DISPATCHED, "sign", S.IN_PROGRESS, {"agency"}, _("Sign for it"), accepts={"note"}, stops="response",
      starts="resolution"),
    T(S.DISPATCHED, "return_dispatch", S.TOWN, {"agency"}, _("Return (wrongly dispatched)"), requires={"note"},
      danger=True, effects=("return_lead",), notify=(("town", "returned"),), notify_step=False),
    T(S.DISPATCHED, "redispatch", S.DISPATCHED, {"town"}, _("Dispatch to another agency"), requires={"agency"},
      accepts={"co_agencies", "appointment", "note"}, starts="response", effects=("lead_agency",)),
    # 延期 and 挂账, approved or refused by the command centre
    T(S.IN_PROGRESS, "request_extension", None, {"agency"}, _("Ask for an extension"),
      requires={"note", "until"}, guard="no_pending", effects=("request_extension",),
      notify=(("town", "requested"),), notify_step=False),
    T(S.IN_PROGRESS, "request_suspension", None, {"agency"}, _("Ask for long-term suspension"),
      requires={"note"}, guard="no_pending", effects=("request_suspension",),
      notify=(("town", "requested"),), notify_step=False),
    T(S.IN_PROGRESS, "approve_request", None, {"town"}, _("Approve the request"), accepts={"note"},
      guard="pending", effects=("decide_request",), notify=(("agency", "decided"),), notify_step=False),
    T(S.IN_PROGRESS, "refuse_request", None, {"town"}, _("Refuse the request"), requires={"note"},
      guard="pending", effects=("clear_request",), notify=(("agency", "decided"),), notify_step=False),
    T(S.IN_PROGRESS, "resolve", S.CHECKING, {"agency"}, _("Resolved"), requires={"note", "photos"},
      guard="no_pending", stops="resolution", reply=True),
    T(S.SUSPENDED, "resume", S.IN_PROGRESS, {"town", "agency"}, _("Resume"), accepts={"note"},
      starts="resolution"),
    # 核查
    T(S.CHECKING, "pass_check", S.RESOLVED, {"grid"}, _("Check passed"), accepts={"note", "photos"},
      photo_kind="check"),
    T(S.CHECKING, "rework", None, {"grid"}, _("Send back for rework"), requires={"note"}, accepts={"photos"},
      danger=True, effects=("back_to_handler",), photo_kind="check"),
    # 评价 / 回访
    T(S.RESOLVED, "rate", None, {"reporter", "follow_up"}, _("Rate the result"), requires={"rating"},
      accepts={"note"}, effects=("rate",), notify=(("handler", "rated"),)),
    T(S.RESOLVED, "auto_close", S.CLOSED, {"system"}, _("Close without a rating")),
]  # fmt: skip
# Anyone who may see an open case may comment on it. A staff comment is internal unless marked as a
# reply to the reporter; the reporter's own comment is on their record.
_ROWS += [
    T(state, "comment", None, {"viewer"}, _("Comment"), requires={"note"}, accepts={"reply"}, public=False)
    for state in OPEN_STATES
]  # fmt: skip

TRANSITIONS: dict[tuple[str, str], Transition] = {(t.state, t.action): t for t in _ROWS}
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in _ROWS))
# Labels of actions that appear on the record but are not in the table.
RECORD_LABELS = {
    "report": _("Reported"),
    "overdue": _("Deadline passed"),
    "due_soon": _("Deadline near"),
    "reopen": _("Reopened"),
}


def transition(state: str, action: str) -> Transition | None:
    return TRANSITIONS.get((state, action))


def actions_from(state: str) -> list[Transition]:
    return [t for t in _ROWS if t.state == state]


def action_label(action: str) -> str:
    for t in _ROWS:
        if t.action == action:
            return str(t.label)
    return str(RECORD_LABELS.get(action, action))


def guard_ok(t: Transition, case: Case) -> bool:
    if t.guard == "pending":
        return bool(case.pending_request)
    if t.guard == "no_pending":
        return not case.pending_request
    return True


def allowed_actions(*, case: Case, user) -> list[Transition]:
    """Return the actions `user` may take on `case` now (pages and the API offer only these)."""
    kinds = actor_kinds(user, case)
    return [t for t in actions_from(case.state) if t.actors & kinds and guard_ok(t, case)]


def outcome(t: Transition, case: Case, given: ActionInput, now: datetime) -> Outcome:
    """Return what applying `t` to `case` with `given` at `now` changes (nothing is written here).

    The row's effects run in order; then its handler and deadlines; a new step gets its own deadline,
    and is neither overdue nor warned yet.
    """
    out = Outcome(target=t.target or case.state)
    for name in t.effects:
        EFFECTS[name](case, given, now, out)
    if t.handler:
        out.changes["handler"] = t.handler
    if t.starts == "response":
        out.changes["response_due_at"] = deadlines.response_due(case.category, case.priority, now)
        out.changes["responded_at"] = None
    if t.starts == "resolution":
        out.changes["resolution_due_at"] = resolution_due(case, now)
    if t.stops == "response":
        out.changes["responded_at"] = now
    if t.stops == "resolution":
        out.changes["resolved_at"] = now
    if out.target == S.CLOSED:
        out.changes["closed_at"] = now
    if out.target != case.state and case.step_due_at is not None:
        # The deadline of the step this ends, on the record: whether it ended on time (`figures`).
        out.data["due"] = case.step_due_at.isoformat()
    out.changes["state"] = out.target
    if out.target != case.state or {"resolution_due_at", "response_due_at"} & out.changes.keys():
        probe = Case(
            **{**{f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}, **out.changes}
        )
        probe.category = case.category
        out.changes.update(
            step_due_at=step_due(probe, out.target, now), is_overdue=False, due_notice_sent=False
        )
    return out


# ---------------------------------------------------------------------------------------------
# Who acts


def _kinds(relations: frozenset[str], *, unrouted: bool, villageless: bool) -> set[str]:
    """Return the actor kinds that relations give: each its own, and the village (or, for a case with
    no village, the town) verifies in the grid's place a case with no grid; both record follow-ups."""
    kinds = set(relations & {"grid", "village", "town", "agency", "reporter"})
    if unrouted and ("village" in relations or ("town" in relations and villageless)):
        kinds.add("grid")
    if relations & {"village", "town"}:
        kinds.add("follow_up")
    return kinds


def actor_kinds(user, case: Case) -> set[str]:
    """Return the actor kinds of the table that `user` is for `case`."""
    if not is_signed_in(user):
        return set()
    relations = access.relations(user, case)
    kinds = _kinds(relations, unrouted=case.grid_id is None, villageless=case.village_id is None)
    if relations or is_root(user):
        kinds.add("viewer")
    return kinds


def work_kinds(user) -> set[str]:
    """Return the actor kinds the user's roles may take on some case of their scopes (the work lists
    offer the queues of these kinds)."""
    return _kinds(access.user_relations(user), unrouted=True, villageless=True)
