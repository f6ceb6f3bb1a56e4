"""The case workflow as one declarative table: (state, action) → target, who may, what it needs.

`services.case_act` is the only reader that changes anything; pages and the API read it to offer
only the actions a person may take now. Who an actor is relative to a case ("grid", "town",
"agency"...) is decided by `actor_kinds`, from the relations of `cases/access.py`.

Actor kinds:
- grid: a grid worker or leader of the case's grid (for an unrouted case: the village cadre or
  town operator of the region it landed in)
- village: a cadre of the case's village; town: an operator of the case's town command centre
- agency: staff of the case's lead agency; reporter: the person who reported it
- follow_up: a town operator or village cadre recording a phone follow-up (回访)
- viewer: anyone who may see the case; system: the sweep
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import access
from civicgrid.cases.models import Case
from civicgrid.core.scopes import is_root, is_signed_in

S = Case.State

# Special targets resolved by case_act.
SAME = "=same"  # the state does not change
HANDLER = "=handler"  # back to the state of whoever handles it (rework, reopening)
DECIDED = "=decided"  # approve_request: extension stays in progress, suspension suspends
RATED = "=rated"  # closed, or reopened once when unsatisfied

OPEN_STATES = tuple(s for s in S.values if s not in (S.REJECTED, S.MERGED, S.CLOSED))


@dataclass(frozen=True)
class Transition:
    state: str
    action: str
    target: str
    actors: frozenset[str]
    label: Promise
    requires: frozenset[str] = field(default_factory=frozenset)
    # What the action accepts besides what it requires.
    accepts: frozenset[str] = field(default_factory=frozenset)
    # "pending" needs a pending request; "no_pending" needs none.
    guard: str = ""
    # Deadlines the action starts and stops (documented here, applied in case_act).
    starts: str = ""
    stops: str = ""
    # Which handler takes the case from here on.
    handler: str = ""
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
    T(S.REPORTED, "accept", S.ACCEPTED, {"grid"}, _("Accept (verified on site)"), accepts={"note", "photos"}),
    T(S.REPORTED, "reject", S.REJECTED, {"grid"}, _("Reject"), requires={"note"}, danger=True, reply=True),
    T(
        S.REPORTED,
        "merge",
        S.MERGED,
        {"grid"},
        _("Merge into an existing case"),
        requires={"merge_into"},
        accepts={"note"},
        reply=True,
    ),
    T(
        S.REPORTED,
        "assign_grid",
        SAME,
        {"village", "town"},
        _("Assign to a grid"),
        requires={"grid"},
        accepts={"note"},
    ),
    # 自处理 or up to the village
    T(
        S.ACCEPTED,
        "handle_in_grid",
        S.GRID_HANDLING,
        {"grid"},
        _("Handle in the grid"),
        starts="resolution",
        handler="grid",
    ),
    T(
        S.ACCEPTED,
        "escalate_to_village",
        S.VILLAGE,
        {"grid"},
        _("Escalate to the village"),
        requires={"note"},
    ),
    T(
        S.GRID_HANDLING,
        "resolve",
        S.RESOLVED,
        {"grid"},
        _("Resolved"),
        requires={"note", "photos"},
        reply=True,
        stops="resolution",
    ),
    T(
        S.GRID_HANDLING,
        "escalate_to_village",
        S.VILLAGE,
        {"grid"},
        _("Escalate to the village"),
        requires={"note"},
    ),
    # The village deliberates, handles, or sends it up to the town command centre
    T(
        S.VILLAGE,
        "handle_in_village",
        S.VILLAGE_HANDLING,
        {"village"},
        _("Handle in the village"),
        accepts={"note"},
        starts="resolution",
        handler="village",
    ),
    T(
        S.VILLAGE,
        "escalate_to_town",
        S.TOWN,
        {"village"},
        _("Escalate to the town command centre"),
        requires={"note"},
    ),
    T(
        S.VILLAGE_HANDLING,
        "resolve",
        S.CHECKING,
        {"village"},
        _("Resolved"),
        requires={"note", "photos"},
        reply=True,
        stops="resolution",
    ),
    T(
        S.VILLAGE_HANDLING,
        "escalate_to_town",
        S.TOWN,
        {"village"},
        _("Escalate to the town command centre"),
        requires={"note"},
    ),
    # 派单 (海棠有约: an on-site appointment with the co-handlers)
    T(
        S.TOWN,
        "dispatch",
        S.DISPATCHED,
        {"town"},
        _("Dispatch to an agency"),
        requires={"agency"},
        accepts={"co_agencies", "appointment", "note"},
        starts="response",
        handler="agency",
    ),
    T(
        S.DISPATCHED,
        "sign",
        S.IN_PROGRESS,
        {"agency"},
        _("Sign for it"),
        accepts={"note"},
        stops="response",
        starts="resolution",
    ),
    T(
        S.DISPATCHED,
        "return_dispatch",
        S.TOWN,
        {"agency"},
        _("Return (wrongly dispatched)"),
        requires={"note"},
        danger=True,
    ),
    T(
        S.DISPATCHED,
        "redispatch",
        S.DISPATCHED,
        {"town"},
        _("Dispatch to another agency"),
        requires={"agency"},
        accepts={"co_agencies", "appointment", "note"},
        starts="response",
    ),
    # 延期 and 挂账, approved or refused by the command centre
    T(
        S.IN_PROGRESS,
        "request_extension",
        SAME,
        {"agency"},
        _("Ask for an extension"),
        requires={"note", "until"},
        guard="no_pending",
    ),
    T(
        S.IN_PROGRESS,
        "request_suspension",
        SAME,
        {"agency"},
        _("Ask for long-term suspension"),
        requires={"note"},
        guard="no_pending",
    ),
    T(
        S.IN_PROGRESS,
        "approve_request",
        DECIDED,
        {"town"},
        _("Approve the request"),
        accepts={"note"},
        guard="pending",
    ),
    T(
        S.IN_PROGRESS,
        "refuse_request",
        SAME,
        {"town"},
        _("Refuse the request"),
        requires={"note"},
        guard="pending",
    ),
    T(
        S.IN_PROGRESS,
        "resolve",
        S.CHECKING,
        {"agency"},
        _("Resolved"),
        requires={"note", "photos"},
        reply=True,
        guard="no_pending",
        stops="resolution",
    ),
    T(
        S.SUSPENDED,
        "resume",
        S.IN_PROGRESS,
        {"town", "agency"},
        _("Resume"),
        accepts={"note"},
        starts="resolution",
    ),
    # 核查
    T(S.CHECKING, "pass_check", S.RESOLVED, {"grid"}, _("Check passed"), accepts={"note", "photos"}),
    T(
        S.CHECKING,
        "rework",
        HANDLER,
        {"grid"},
        _("Send back for rework"),
        requires={"note"},
        accepts={"photos"},
        danger=True,
    ),
    # 评价 / 回访
    T(
        S.RESOLVED,
        "rate",
        RATED,
        {"reporter", "follow_up"},
        _("Rate the result"),
        requires={"rating"},
        accepts={"note"},
    ),
    T(S.RESOLVED, "auto_close", S.CLOSED, {"system"}, _("Close without a rating")),
]
# Anyone who may see an open case may comment on it. A staff comment is internal unless marked as a
# reply to the reporter; the reporter's own comment is on their record.
_ROWS += [
    T(state, "comment", SAME, {"viewer"}, _("Comment"), requires={"note"}, accepts={"reply"}, public=False)
    for state in OPEN_STATES
]

TRANSITIONS: dict[tuple[str, str], Transition] = {(t.state, t.action): t for t in _ROWS}
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in _ROWS))
# The states a handler works the case in, for rework and reopening.
HANDLER_STATE = {"grid": S.GRID_HANDLING, "village": S.VILLAGE_HANDLING, "agency": S.IN_PROGRESS}
# Labels of actions that appear on the record but are not in the table.
RECORD_LABELS = {"report": _("Reported"), "overdue": _("Deadline passed"), "reopen": _("Reopened")}


def transition(state: str, action: str) -> Transition | None:
    return TRANSITIONS.get((state, action))


def actions_from(state: str) -> list[Transition]:
    return [t for t in _ROWS if t.state == state]


def action_label(action: str) -> str:
    for t in _ROWS:
        if t.action == action:
            return str(t.label)
    return str(RECORD_LABELS.get(action, action))


def actor_kinds(user, case: Case) -> set[str]:
    """Return the actor kinds of the table that `user` is for `case`.

    An unrouted case has no grid: the cadres of its village, or failing that the operators of its
    town, verify it in the grid's place.
    """
    if not is_signed_in(user):
        return set()
    rel = access.relations(user, case)
    kinds = set(rel & {"grid", "village", "town", "agency", "reporter"})
    if case.grid_id is None and ("village" in rel or ("town" in rel and case.village_id is None)):
        kinds.add("grid")
    if rel & {"village", "town"}:
        kinds.add("follow_up")
    if rel or is_root(user):
        kinds.add("viewer")
    return kinds


# The actor kinds each relation may take on some case of its scope (the work lists offer their queues).
WORK_KINDS = {
    "grid": {"grid"},
    "village": {"village", "follow_up", "grid"},
    "town": {"town", "follow_up", "grid"},
    "agency": {"agency"},
}


def work_kinds(user) -> set[str]:
    """Return the actor kinds the user's roles may take on the cases of their scopes."""
    kinds: set[str] = set()
    for relation in access.user_relations(user):
        kinds |= WORK_KINDS.get(relation, set())
    return kinds
