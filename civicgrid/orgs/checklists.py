"""Set-up checklists (the seed's "6个1") as data: templates, the tasks they give each new organisation,
ticking them off with evidence, verification by the federation above, overdue items and completion.

- A template applies to the organisations created after it exists: `tasks_create` runs from
  `services.org_create` only; an organisation created earlier keeps the checklist it got.
- A task is *done* by someone who manages its organisation (with a file when the item asks for
  evidence; earlier files count), *verified* by someone who manages the organisation's parent (the
  federation above) and never by the one who marked it done, or *reopened* by such a verifier.
- A task is *overdue* when it is still open after its due date; one done and waiting for
  verification is not overdue.

Services write in one transaction each and record the audit entry beside the write; selectors and
the presenters read; the pages and the API call the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError, Conflict, NotFound, invalid
from civicgrid.core.scopes import is_root
from civicgrid.lib.text import text_problem
from civicgrid.orgs import access, evidence
from civicgrid.orgs.models import ChecklistItem, ChecklistTemplate, Evidence, Organisation, OrgKind, Task
from civicgrid.places.models import Place

NOTE_LIMIT = 2000
MAX_ITEMS = 30
MAX_DUE_DAYS = 730


# --- Templates ----------------------------------------------------------------------------------


def templates_for(kind: str) -> list[ChecklistTemplate]:
    """The templates in use for an organisation of `kind`: the newest active version of each name."""
    chosen: dict[str, ChecklistTemplate] = {}
    for template in (
        ChecklistTemplate.objects.filter(is_active=True)
        .order_by("name", "-version")
        .prefetch_related("items")
    ):
        if template.name in chosen:
            continue
        if not template.kinds or kind in template.kinds:
            chosen[template.name] = template
    return list(chosen.values())


def tasks_create(org: Organisation) -> list[Task]:
    """Give a new organisation one task per item of each template that applies, due from its founding.

    Called by `services.org_create` inside its transaction; never for organisations that exist already.
    """
    if org.status == Organisation.Status.DISSOLVED:
        return []
    start = org.founded_on or timezone.localdate()
    tasks = [
        Task(organisation=org, item=item, due_on=start + timedelta(days=item.due_days))
        for template in templates_for(org.kind)
        for item in sorted(template.items.all(), key=lambda i: (i.position, i.id))
    ]
    return Task.objects.bulk_create(tasks)


@dataclass(frozen=True)
class ItemView:
    position: int
    title: str
    description: str
    due_days: int
    needs_evidence: bool


@dataclass(frozen=True)
class TemplateView:
    id: int
    name: str
    version: int
    is_active: bool
    kinds: list[str]
    kind_labels: list[str]
    items: list[ItemView]


def templates(user) -> list[TemplateView]:
    """Every template and version, newest version of each name first, with its items (two queries)."""
    if not access.can_use(user):
        raise access.refuse()
    labels = dict(OrgKind.choices)
    return [
        TemplateView(
            id=t.pk,
            name=t.name,
            version=t.version,
            is_active=t.is_active,
            kinds=list(t.kinds),
            kind_labels=[str(labels.get(k, k)) for k in t.kinds],
            items=[
                ItemView(i.position, i.title, i.description, i.due_days, i.needs_evidence)
                for i in t.items.all()
            ],
        )
        for t in ChecklistTemplate.objects.order_by("name", "-version").prefetch_related("items")
    ]


@transaction.atomic
def template_create(
    *,
    actor,
    name: str,
    kinds: list[str] | tuple[str, ...] = (),
    items: list[tuple[str, str, int, bool]],
) -> ChecklistTemplate:
    """Create a template, or the next version of the template of that name.

    1. Only those who may set up the network (the city federation, an administrator).
    2. Check the name, the kinds and each item (title, description, due within days, evidence required).
    3. The older versions stay, with the tasks organisations got from them, but are no longer in use:
       organisations created from now on get the new version.
    """
    if not access.can_set_up(actor):
        raise access.refuse(_("Only the city federation may change the set-up checklists."))
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 100:
        errors["name"] = _("Enter at most %(limit)s characters.") % {"limit": 100}
    kinds = list(dict.fromkeys(kinds or []))
    if any(k not in OrgKind.values for k in kinds):
        errors["kinds"] = _("Choose kinds of organisation from the list.")
    cleaned: list[tuple[str, str, int, bool]] = []
    if not items:
        errors["items"] = _("Add at least one item.")
    elif len(items) > MAX_ITEMS:
        errors["items"] = _("A checklist has at most %(n)s items.") % {"n": MAX_ITEMS}
    else:
        for number, row in enumerate(items, start=1):
            try:
                title, description, due_days, needs_evidence = row
                due_days = int(due_days)
            except (TypeError, ValueError):
                errors["items"] = _("Item %(n)s: give a title, a description and a number of days.") % {
                    "n": number
                }
                break
            title, description = (title or "").strip(), (description or "").strip()
            if not title or len(title) > 100:
                errors["items"] = _("Item %(n)s: the title is required (at most 100 characters).") % {
                    "n": number
                }
                break
            if len(description) > 300:
                errors["items"] = _("Item %(n)s: the description has at most 300 characters.") % {"n": number}
                break
            if not 1 <= due_days <= MAX_DUE_DAYS:
                errors["items"] = _("Item %(n)s: due within 1 to %(max)s days.") % {
                    "n": number,
                    "max": MAX_DUE_DAYS,
                }
                break
            cleaned.append((title, description, due_days, bool(needs_evidence)))
    if errors:
        raise invalid(errors)
    # Lock the versions of this name: two new versions at once get 2 and 3, never 2 twice.
    existing = list(ChecklistTemplate.objects.select_for_update().filter(name=name).order_by("-version"))
    version = (existing[0].version if existing else 0) + 1
    try:
        with transaction.atomic():
            template = ChecklistTemplate.objects.create(
                name=name, version=version, kinds=kinds, is_active=True
            )
    except IntegrityError:
        raise Conflict(
            _("Someone saved a new version of this checklist at the same time: reload and try again."),
            code="version_taken",
        ) from None
    ChecklistTemplate.objects.filter(name=name, version__lt=version).update(is_active=False)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            template=template,
            position=position,
            title=title,
            description=description,
            due_days=due_days,
            needs_evidence=needs_evidence,
        )
        for position, (title, description, due_days, needs_evidence) in enumerate(cleaned, start=1)
    )
    audit.record(
        actor=actor,
        action="orgs.checklist_create",
        target=template,
        changes=audit.as_created(
            {
                "name": name,
                "version": version,
                "kinds": kinds,
                "items": [f"{t} ({d})" for t, _desc, d, _e in cleaned],
            }
        ),
    )
    return template


# --- Who may tick off and verify ------------------------------------------------------------------
# Composed from the rules of `access` (can_manage); see the report asking to move them there.


def _task_locked(task: Task) -> Task:
    found = (
        Task.objects.select_for_update(of=("self",))
        .select_related("organisation__region", "item")
        .filter(pk=task.pk)
        .first()
    )
    if found is None:
        raise NotFound(_("No such checklist item."))
    return found


def _clean_note(value: str, field_name: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid({field_name: _("This field is required.")})
    if len(value) > NOTE_LIMIT:
        raise invalid({field_name: _("Enter at most %(limit)s characters.") % {"limit": NOTE_LIMIT}})
    problem = text_problem(value)
    if problem:
        raise invalid({field_name: problem})
    return value


def _changed(task: Task, old: str, **values) -> int:
    """Compare-and-set: write only if the task is still in the state just read."""
    return Task.objects.filter(pk=task.pk, status=old).update(**values)


# --- Services -----------------------------------------------------------------------------------


@transaction.atomic
def task_done(*, actor, task: Task, note: str = "", files=()) -> Task:
    """Mark a task done, with a note and evidence files.

    1. The actor must manage the task's organisation; the task must be open.
    2. An item that needs evidence needs at least one file: attached now or earlier (before a reopen).
    3. Store the files (a refused file refuses the whole write), set the task done, record it.
    """
    task = _task_locked(task)
    org = task.organisation
    access.check_manage(actor, org)
    if task.status != Task.Status.OPEN:
        raise Conflict(_("This item is already marked done."), code="already_done")
    note = _clean_note(note, "note")
    files = list(files or [])
    if task.item.needs_evidence and not files and not Evidence.objects.filter(task=task).exists():
        raise invalid({"files": _("This item needs evidence: attach at least one photo or PDF.")})
    try:
        stored = evidence.attach(files=files, actor=actor, task=task)
    except ApplicationError as exc:
        if exc.code == "evidence":
            raise ApplicationError(
                exc.message, code="evidence", extra={"fields": {"files": exc.message}}
            ) from None
        raise
    now = timezone.now()
    if not _changed(task, Task.Status.OPEN, status=Task.Status.DONE, note=note, done_at=now, done_by=actor):
        raise Conflict(_("This item is already marked done."), code="already_done")
    audit.record(
        actor=actor,
        action="orgs.task_done",
        target=task,
        place_code=org.region.code,
        changes={
            "status": {"from": Task.Status.OPEN, "to": Task.Status.DONE},
            "note": {"to": note},
            "files": {"to": [e.name for e in stored]},
        },
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def task_verify(*, actor, task: Task) -> Task:
    """Verify a done task: by someone who manages the federation above its organisation, not its doer."""
    task = _task_locked(task)
    org = task.organisation
    if not access.can_verify_task(actor, org):
        raise access.refuse(_("Only the federation above this organisation may verify its checklist."))
    if task.status != Task.Status.DONE:
        raise Conflict(_("Only an item marked done can be verified."), code="not_done")
    if task.done_by_id == actor.pk:
        raise access.refuse(_("Someone else must verify what you marked done."))
    now = timezone.now()
    if not _changed(task, Task.Status.DONE, status=Task.Status.VERIFIED, verified_at=now, verified_by=actor):
        raise Conflict(_("Only an item marked done can be verified."), code="not_done")
    audit.record(
        actor=actor,
        action="orgs.task_verify",
        target=task,
        place_code=org.region.code,
        changes={"status": {"from": Task.Status.DONE, "to": Task.Status.VERIFIED}},
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def task_reopen(*, actor, task: Task, reason: str) -> Task:
    """Send a done (or verified) task back to be done again, with the reason as its note.

    By a verifier (someone who manages the federation above). Its evidence stays and counts again.
    """
    task = _task_locked(task)
    org = task.organisation
    if not access.can_verify_task(actor, org):
        raise access.refuse(_("Only the federation above this organisation may send an item back."))
    if task.status == Task.Status.OPEN:
        raise Conflict(_("This item is open already."), code="already_open")
    reason = _clean_note(reason, "reason", required=True)
    old = task.status
    if not _changed(
        task,
        old,
        status=Task.Status.OPEN,
        note=reason,
        done_at=None,
        done_by=None,
        verified_at=None,
        verified_by=None,
    ):
        raise Conflict(_("This item changed meanwhile: reload and try again."), code="changed")
    audit.record(
        actor=actor,
        action="orgs.task_reopen",
        target=task,
        place_code=org.region.code,
        changes={"status": {"from": old, "to": Task.Status.OPEN}, "reason": {"to": reason}},
    )
    task.refresh_from_db()
    return task


# --- What a viewer sees of a checklist ------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceView:
    id: int
    name: str
    is_image: bool
    url: str
    size: int


@dataclass(frozen=True)
class TaskView:
    id: int
    position: int
    title: str
    description: str
    needs_evidence: bool
    due_on: date
    status: str
    status_label: str
    overdue: bool
    note: str
    done_at: datetime | None
    done_by: str
    verified_at: datetime | None
    verified_by: str
    evidence: list[EvidenceView]
    can_done: bool
    can_verify: bool
    can_reopen: bool

    @property
    def files_input_id(self) -> str:
        """Return the id of the task's evidence input: unique among the tasks of a page."""
        return f"files-{self.id}"


@dataclass(frozen=True)
class ChecklistView:
    organisation_id: int
    organisation_name: str
    tasks: list[TaskView]
    total: int
    done: int
    verified: int
    overdue: int
    can_manage: bool
    can_verify: bool
    rate: int | None = field(default=None)

    @property
    def evidence_max(self) -> int:
        """Return how many files one "done" takes (`evidence.MAX_FILES`): the camera control warns above it."""
        return evidence.MAX_FILES


def is_overdue(task: Task, today: date | None = None) -> bool:
    """Open after its due date (a done task waiting for verification is not overdue)."""
    return task.status == Task.Status.OPEN and task.due_on < (today or timezone.localdate())


def evidence_view(item: Evidence) -> EvidenceView:
    return EvidenceView(
        id=item.pk,
        name=item.name,
        is_image=item.content_type.startswith("image/"),
        url=reverse("orgs:evidence", args=[item.pk]),
        size=item.size,
    )


def task_view(task: Task, *, user, manages: bool, verifies: bool, today: date) -> TaskView:
    return TaskView(
        id=task.pk,
        position=task.item.position,
        title=task.item.title,
        description=task.item.description,
        needs_evidence=task.item.needs_evidence,
        due_on=task.due_on,
        status=task.status,
        status_label=task.get_status_display(),
        overdue=is_overdue(task, today),
        note=task.note,
        done_at=task.done_at,
        done_by=str(task.done_by) if task.done_by_id else "",
        verified_at=task.verified_at,
        verified_by=str(task.verified_by) if task.verified_by_id else "",
        evidence=[evidence_view(e) for e in task.evidence.all()],
        can_done=manages and task.status == Task.Status.OPEN,
        can_verify=verifies and task.status == Task.Status.DONE and task.done_by_id != user.pk,
        can_reopen=verifies and task.status != Task.Status.OPEN,
    )


def checklist_for(user, org: Organisation) -> ChecklistView:
    """The organisation's checklist in item order, each task with its overdue flag and the actions
    `user` may take on it. Three queries: the parent, the tasks, their evidence."""
    access.check_view(user, org)
    manages = access.can_manage(user, org)
    verifies = access.can_verify_task(user, org)
    today = timezone.localdate()
    tasks = list(
        Task.objects.filter(organisation=org)
        .select_related("item", "done_by", "verified_by")
        .prefetch_related("evidence")
        .order_by("item__template_id", "item__position", "item_id")
    )
    views = [task_view(t, user=user, manages=manages, verifies=verifies, today=today) for t in tasks]
    total = len(views)
    done = sum(1 for v in views if v.status != Task.Status.OPEN)
    return ChecklistView(
        organisation_id=org.pk,
        organisation_name=org.name,
        tasks=views,
        total=total,
        done=done,
        verified=sum(1 for v in views if v.status == Task.Status.VERIFIED),
        overdue=sum(1 for v in views if v.overdue),
        can_manage=manages,
        can_verify=verifies,
        rate=round(100 * done / total) if total else None,
    )


def task_of(user, pk: int) -> Task:
    """A task `user` may see, or NotFound (a task out of sight is not told apart from a missing one)."""
    task = Task.objects.select_related("organisation__region", "item").filter(pk=pk).first()
    if task is None or not access.can_view(user, task.organisation):
        raise NotFound(_("No such checklist item."))
    return task


def evidence_of(user, pk: int) -> Evidence:
    """An evidence file `user` may see (its task's organisation or its link's target), or NotFound."""
    item = (
        Evidence.objects.select_related("task__organisation__region", "link__target__region")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise NotFound(_("No such file."))
    if item.task_id is not None:
        allowed = access.can_view(user, item.task.organisation)
    else:
        allowed = access.can_view_target(user, item.link.target)
    if not allowed:
        raise NotFound(_("No such file."))
    return item


# --- Overdue tasks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    id: int
    organisation_id: int
    organisation_name: str
    region: str
    title: str
    due_on: date
    days_late: int


@dataclass(frozen=True)
class OverduePage:
    items: list[OverdueRow]
    next_cursor: str


def _cursor(task: Task) -> str:
    return f"{task.due_on.isoformat()}.{task.pk}"


def _parse_cursor(text: str) -> tuple[date, int]:
    try:
        day, pk = text.split(".")
        return date.fromisoformat(day), int(pk)
    except ValueError:
        raise ApplicationError(
            _("This list's position is not valid: start again from the first page."), code="invalid_cursor"
        ) from None


def overdue_tasks(user, place: Place | None = None) -> QuerySet[Task]:
    """Open tasks past their due date of the organisations `user` may see (within `place`), oldest first.

    Served by the (status, due_on) index; the organisations' scope is one semi-join.
    """
    if place is not None:
        access.check_view_region(user, place)
    orgs = access.visible_orgs(user).exclude(status=Organisation.Status.DISSOLVED)
    if place is not None:
        orgs = orgs.filter(access.region_filter(place))
    return Task.objects.filter(
        status=Task.Status.OPEN,
        due_on__lt=timezone.localdate(),
        organisation__in=orgs.values("pk"),
    ).order_by("due_on", "id")


def overdue(user, place: Place | None = None, cursor: str = "", size: int = 50) -> OverduePage:
    """A keyset page of overdue tasks (`cursor`: the `next_cursor` of the page before)."""
    qs = overdue_tasks(user, place)
    if cursor:
        day, pk = _parse_cursor(cursor)
        qs = qs.filter(Q(due_on__gt=day) | Q(due_on=day, id__gt=pk)).filter(due_on__gte=day)
    rows = list(qs.select_related("organisation__region", "item")[: size + 1])
    today = timezone.localdate()
    items = [
        OverdueRow(
            id=t.pk,
            organisation_id=t.organisation_id,
            organisation_name=t.organisation.name,
            region=t.organisation.region.display_name,
            title=t.item.title,
            due_on=t.due_on,
            days_late=(today - t.due_on).days,
        )
        for t in rows[:size]
    ]
    return OverduePage(items, _cursor(rows[size - 1]) if len(rows) > size else "")


# --- Completion by region -------------------------------------------------------------------------

# The kept column of an organisation that names the child region of a place of each level.
CHILD_COLUMN = {"city": "district", "district": "town", "town": "region"}


@dataclass(frozen=True)
class CompletionRow:
    place_code: str
    place_name: str
    is_self: bool  # the organisations registered at the place itself, not in one of its children
    can_drill: bool
    organisations: int  # organisations with tasks
    complete: int  # of them, with every task done or verified
    verified: int  # of them, with every task verified
    overdue: int  # overdue tasks
    rate: int | None  # complete / organisations, in per cent


@dataclass(frozen=True)
class CompletionReport:
    place: Place | None
    places: list[Place]  # the regions the report covers, to choose from
    rows: list[CompletionRow]
    total: CompletionRow


def _rate(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def default_place(user) -> Place | None:
    """The region `user` looks at first: their one region, the top of the place tree for an
    administrator, or None when they have several (the report then has a row for each)."""
    if is_root(user):
        return Place.objects.filter(parent__isnull=True).order_by("code").first()
    places = access.coverage_places(user)
    return places[0] if len(places) == 1 else None


def completion(user, place: Place | None = None) -> CompletionReport:
    """Per child region of `place`: organisations with tasks, those with all tasks done/verified, the
    completion rate and the overdue count. One GROUP BY query, whatever the number of organisations.

    1. Scope: the organisations `user` may see, within `place`, not dissolved.
    2. Bucket each by its kept district / town / region column (a town's villages: the region); with
       no `place` and several regions of the user, one bucket per region.
    3. Per bucket, count organisations by EXISTS on their tasks (the (organisation, item) index) and
       sum their overdue tasks.
    """
    if not access.can_use(user):
        raise access.refuse()
    if place is None:
        place = default_place(user)
    orgs = access.visible_orgs(user).exclude(status=Organisation.Status.DISSOLVED)
    if place is not None:
        access.check_view_region(user, place)
        orgs = orgs.filter(access.region_filter(place))
        key = CHILD_COLUMN.get(place.level)
        buckets = list(Place.objects.filter(parent=place).order_by("code")) if key else []
        bucket = F(key) if key else Value(place.pk, output_field=IntegerField())
    else:
        key = None
        buckets = access.coverage_places(user)
        bucket = Case(
            *[When(access.region_filter(p), then=Value(p.pk)) for p in buckets],
            default=Value(None),
            output_field=IntegerField(),
        )
    tasks = Task.objects.filter(organisation=OuterRef("pk"))
    late = (
        tasks.filter(status=Task.Status.OPEN, due_on__lt=timezone.localdate())
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counted = (
        orgs.annotate(
            bucket=bucket,
            has_tasks=Exists(tasks),
            has_open=Exists(tasks.filter(status=Task.Status.OPEN)),
            has_unverified=Exists(tasks.exclude(status=Task.Status.VERIFIED)),
            late=Coalesce(Subquery(late, output_field=IntegerField()), 0),
        )
        .values("bucket")
        .annotate(
            organisations=Count("pk", filter=Q(has_tasks=True)),
            complete=Count("pk", filter=Q(has_tasks=True, has_open=False)),
            verified=Count("pk", filter=Q(has_tasks=True, has_unverified=False)),
            overdue=Sum("late"),
        )
        .order_by()
    )
    figures = {row["bucket"]: row for row in counted}

    def row(pk, where: Place, *, is_self: bool) -> CompletionRow:
        found = figures.get(pk) or {}
        n, complete = found.get("organisations", 0), found.get("complete", 0)
        return CompletionRow(
            place_code=where.code,
            place_name=where.display_name,
            is_self=is_self,
            can_drill=not is_self and where.level in CHILD_COLUMN,
            organisations=n,
            complete=complete,
            verified=found.get("verified", 0),
            overdue=found.get("overdue") or 0,
            rate=_rate(complete, n),
        )

    rows: list[CompletionRow] = []
    if place is not None and key:
        # Organisations at the place itself have no child column (district / town None, region = place).
        own = place.pk if key == "region" else None
        if own in figures:
            rows.append(row(own, place, is_self=True))
        rows += [row(p.pk, p, is_self=False) for p in buckets]
    elif place is not None:
        rows.append(row(place.pk, place, is_self=True))
    else:
        rows = [row(p.pk, p, is_self=False) for p in buckets]
    total_orgs = sum(r.organisations for r in rows)
    total_complete = sum(r.complete for r in rows)
    total = CompletionRow(
        place_code=place.code if place else "",
        place_name=place.display_name if place else _("All my regions"),
        is_self=False,
        can_drill=False,
        organisations=total_orgs,
        complete=total_complete,
        verified=sum(r.verified for r in rows),
        overdue=sum(r.overdue for r in rows),
        rate=_rate(total_complete, total_orgs),
    )
    return CompletionReport(place=place, places=access.coverage_places(user), rows=rows, total=total)


def latest_template_version(name: str) -> int:
    return ChecklistTemplate.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0
