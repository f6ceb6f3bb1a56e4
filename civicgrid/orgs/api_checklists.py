"""The checklists part of /api/v1/orgs (mounted at /api/v1/orgs/checklists): an organisation's
checklist, marking an item done (multipart, with files), verifying and reopening it, the overdue
items, completion by region, the templates, and the structure targets against each region.

The same services, selectors and presenters as the pages (`orgs.checklists`, `orgs.structure`);
every permission is in `orgs.access`. Refusals: 400 bad input (`extra.fields`), 401 not signed in,
403 not yours to change, 404 not there or not yours to see, 409 the item is not in a state for it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from civicgrid.core.api_auth import errors, signed_in
from civicgrid.core.errors import NotFound
from civicgrid.core.schemas import InputSchema, Text
from civicgrid.orgs import access, checklists, structure
from civicgrid.orgs.models import Organisation
from civicgrid.places.models import Place

router = Router()


class EvidenceOut(Schema):
    id: int
    name: str
    is_image: bool
    url: str = Field(..., description="The file, for those who may see the organisation")
    size: int


class TaskOut(Schema):
    id: int
    position: int
    title: str
    description: str
    needs_evidence: bool
    due_on: date
    status: str = Field(..., description="open, done (awaiting verification) or verified")
    status_label: str
    overdue: bool = Field(..., description="Still open after its due date")
    note: str = Field(..., description="The doer's note; after a reopen, the reason it was sent back")
    done_at: datetime | None
    done_by: str
    verified_at: datetime | None
    verified_by: str
    evidence: list[EvidenceOut]
    can_done: bool = Field(..., description="The caller may mark it done")
    can_verify: bool = Field(..., description="The caller may verify it")
    can_reopen: bool = Field(..., description="The caller may send it back")


class ChecklistOut(Schema):
    organisation_id: int
    organisation_name: str
    tasks: list[TaskOut]
    total: int
    done: int = Field(..., description="Items done or verified")
    verified: int
    overdue: int
    can_manage: bool
    can_verify: bool
    rate: int | None = Field(..., description="Done or verified, in per cent of the items")


class ReopenIn(InputSchema):
    reason: str = Field(..., max_length=2000, description="Why it goes back; kept as the item's note")


class OverdueRowOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    region: str
    title: str
    due_on: date
    days_late: int


class OverdueOut(Schema):
    items: list[OverdueRowOut]
    next: str = Field(..., description="Cursor of the next page: pass it as `after`; empty on the last")


class CompletionRowOut(Schema):
    place_code: str
    place_name: str
    is_self: bool = Field(..., description="Organisations registered at the region itself")
    can_drill: bool
    organisations: int = Field(..., description="Organisations with checklist items")
    complete: int = Field(..., description="Of them, with every item done or verified")
    verified: int = Field(..., description="Of them, with every item verified")
    overdue: int = Field(..., description="Overdue items")
    rate: int | None = Field(..., description="complete / organisations, in per cent")


class CompletionOut(Schema):
    place_code: str
    rows: list[CompletionRowOut]
    total: CompletionRowOut


class ItemOut(Schema):
    position: int
    title: str
    description: str
    due_days: int
    needs_evidence: bool


class TemplateOut(Schema):
    id: int
    name: str
    version: int
    is_active: bool
    kinds: list[str] = Field(..., description="Organisation kinds it applies to; empty: every kind")
    kind_labels: list[str]
    items: list[ItemOut]


class RegionCountOut(Schema):
    place_code: str
    place_name: str
    count: int = Field(..., description="Active organisations of the kind in the region")
    required: int
    met: bool
    short: int


class StructureTargetOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    leading_only: bool
    level: str = Field(..., description="district or town")
    level_label: str
    required: int
    regions: list[RegionCountOut]
    met: int
    short: int


def _org(request: HttpRequest, org_id: int) -> Organisation:
    org = Organisation.objects.select_related("region").filter(pk=org_id).first()
    if org is None or not access.can_view(request.user, org):
        raise NotFound(_("No such organisation."))
    return org


def _place(code: str) -> Place | None:
    if not code:
        return None
    place = Place.objects.filter(code=code).first()
    if place is None:
        raise NotFound(_("No such region."))
    return place


def _task_out(request: HttpRequest, task_id: int) -> dict:
    task = checklists.task_of(request.user, task_id)
    view = checklists.checklist_for(request.user, task.organisation)
    return next(asdict(t) for t in view.tasks if t.id == task.pk)


@router.get(
    "/orgs/{org_id}",
    response={200: ChecklistOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="An organisation's set-up checklist, with what the caller may do on each item",
)
def checklist(request: HttpRequest, org_id: int):
    return asdict(checklists.checklist_for(request.user, _org(request, org_id)))


@router.post(
    "/tasks/{task_id}/done",
    response={200: TaskOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Mark an item done, with a note and evidence files (multipart/form-data)",
)
def task_done(
    request: HttpRequest,
    task_id: int,
    note: str = Form("", max_length=2000),
    files: File[list[UploadedFile]] = None,
):
    """Send multipart/form-data: `note` and the photos or PDFs as `files` (up to 9). An item that needs
    evidence needs at least one file, now or attached before. 403: the caller does not manage the
    organisation; 409: the item is done already."""
    task = checklists.task_of(request.user, task_id)
    checklists.task_done(actor=request.user, task=task, note=note, files=files or [])
    return _task_out(request, task_id)


@router.post(
    "/tasks/{task_id}/verify",
    response={200: TaskOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Verify a done item (the federation above; never the one who marked it done)",
)
def task_verify(request: HttpRequest, task_id: int):
    checklists.task_verify(actor=request.user, task=checklists.task_of(request.user, task_id))
    return _task_out(request, task_id)


@router.post(
    "/tasks/{task_id}/reopen",
    response={200: TaskOut, **errors(400, 401, 403, 404, 409, 413)},
    auth=signed_in,
    summary="Send a done or verified item back to be done again, with the reason",
)
def task_reopen(request: HttpRequest, task_id: int, payload: ReopenIn):
    task = checklists.task_of(request.user, task_id)
    checklists.task_reopen(actor=request.user, task=task, reason=payload.reason)
    return _task_out(request, task_id)


@router.get(
    "/overdue",
    response={200: OverdueOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Overdue items of the organisations the caller may see, oldest first (keyset pages)",
)
def overdue(request: HttpRequest, place: Text = "", after: Text = "", size: int = 50):
    page = checklists.overdue(request.user, _place(place), cursor=after, size=max(1, min(size, 200)))
    return {"items": [asdict(r) for r in page.items], "next": page.next_cursor}


@router.get(
    "/completion",
    response={200: CompletionOut, **errors(400, 401, 403, 404)},
    auth=signed_in,
    summary="Checklist completion by child region of `place` (a place code; default: the caller's region)",
)
def completion(request: HttpRequest, place: Text = ""):
    report = checklists.completion(request.user, _place(place))
    return {
        "place_code": report.place.code if report.place else "",
        "rows": [asdict(r) for r in report.rows],
        "total": asdict(report.total),
    }


@router.get(
    "/templates",
    response={200: list[TemplateOut], **errors(400, 401, 403)},
    auth=signed_in,
    summary="The checklist templates and their versions",
)
def templates(request: HttpRequest):
    return [asdict(t) for t in checklists.templates(request.user)]


@router.get(
    "/structure",
    response={200: list[StructureTargetOut], **errors(400, 401, 403)},
    auth=signed_in,
    summary="Each structure target with each district or town the caller may see: met or short",
)
def structure_report(request: HttpRequest):
    return [asdict(r) for r in structure.structure_report(request.user)]
