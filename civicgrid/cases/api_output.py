"""What the cases API answers: the JSON of a created case, a list item, and the case as a viewer sees it
(serialising `presenters.case_view`, which the pages render too).
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

from civicgrid.cases import categories, presenters
from civicgrid.cases.models import Case
from civicgrid.places.models import Place

# ---------------------------------------------------------------------------------------------
# Output


def absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


_NUMBER_MARK = "00000000-0000"


@functools.lru_cache(maxsize=16)
def _case_path_template(name: str, script_prefix: str) -> str:
    # Reversed once per URL name (and script prefix), then filled in: every intake answers with two.
    return reverse(name, kwargs={"number": _NUMBER_MARK})


def case_path(name: str, number: str) -> str:
    return _case_path_template(name, get_script_prefix()).replace(_NUMBER_MARK, number)


def created_out(request: HttpRequest, case: Case, location: Any = None) -> dict[str, Any]:
    if location is not None:
        # Intake just routed it: the codes are in hand, no query needed.
        codes = {ref.id: ref.code for ref in (location.grid, location.village, location.town) if ref}
    else:
        ids = [pk for pk in (case.grid_id, case.village_id, case.town_id) if pk]
        codes = dict(Place.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
    return {
        "tracking_number": case.tracking_number,
        "state": case.state,
        "state_label": str(Case.State(case.state).label),
        "routed": case.routed,
        "grid": codes.get(case.grid_id),
        "village": codes.get(case.village_id),
        "town": codes.get(case.town_id),
        "created_at": case.created_at,
        "status_url": absolute(request, case_path("cases:public_status_number", case.tracking_number)),
        "url": absolute(request, case_path("api:case_detail", case.tracking_number)),
    }


def next_url(request: HttpRequest, cursor: str) -> str | None:
    """Return the URL of a list's next page: this request's with `cursor` instead of offset and page."""
    if not cursor:
        return None
    params = request.GET.copy()
    for name in ("offset", "page", "cursor"):
        params.pop(name, None)
    params["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def code_name(obj: Any) -> dict[str, str] | None:
    if obj is None:
        return None
    name = obj.name_en if getattr(obj, "name_en", "") and _is_english() else obj.name
    return {"code": obj.code, "name": name}


def _is_english() -> bool:
    return (get_language() or "").startswith("en")


def list_item(case: Case) -> dict[str, Any]:
    return {
        "tracking_number": case.tracking_number,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "category": {"code": case.category.code, "name": case.category.display_name},
        "source": case.source,
        "priority": case.priority,
        "address": case.address,
        "created_at": case.created_at,
        "step_due_at": case.step_due_at,
        "is_overdue": case.is_overdue,
        "routed": case.routed,
        "town": case.town.code if case.town_id else None,
        "village": case.village.code if case.village_id else None,
        "grid": case.grid.code if case.grid_id else None,
        "lead_agency": code_name(case.lead_agency),
    }


def entry_out(entry: presenters.EntryView) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "action": entry.action,
        "label": entry.label,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "state_label": entry.state_label,
        "actor": entry.actor,
        "actor_role": entry.actor_role,
        "actor_role_label": entry.actor_role_label,
        "note": entry.note,
        "note_is_reply": entry.note_is_reply,
        "is_public": entry.is_public,
        "details": [{"label": label, "value": value} for label, value in entry.details],
        "data": entry.data,
    }


def question_out(question: categories.Question) -> dict[str, Any]:
    """Serialize one question of a category, labels in the request's language (the categories list)."""
    return question.as_json()


def code_name_out(value: presenters.CodeName | None) -> dict[str, str] | None:
    return None if value is None else {"code": value.code, "name": value.name}


def detail_out(view: presenters.CaseView) -> dict[str, Any]:
    """Serialize what the viewer sees of a case (`presenters.case_view`); the page renders the same view."""
    category = view.category
    return {
        "tracking_number": view.tracking_number,
        "state": view.state,
        "state_label": view.state_label,
        "source": view.source,
        "source_label": view.source_label,
        "category": {
            "code": category.code,
            "name": category.name,
            "parent_code": category.parent_code,
            "parent_name": category.parent_name,
        },
        "description": view.description,
        "answers": [
            {"code": a.code, "label": a.label, "value": a.value, "text": a.text} for a in view.answers
        ],
        "address": view.address,
        "lon": view.lon,
        "lat": view.lat,
        "routed": view.routed,
        "grid": view.grid.code if view.grid else None,
        "village": view.village.code if view.village else None,
        "town": view.town.code if view.town else None,
        "district": view.district.code if view.district else None,
        "priority": view.priority,
        "is_public": view.is_public,
        "external_ref": view.external_ref,
        "reporter": {"name": view.reporter.name, "phone": view.reporter.phone},
        "lead_agency": code_name_out(view.lead_agency),
        "co_agencies": [code_name_out(a) for a in view.co_agencies],
        "pending_request": view.pending_request,
        "pending_until": view.pending_until,
        "merged_into": view.merged_into,
        "merged_cases": view.merged_cases,
        "step_due_at": view.step_due_at,
        "is_overdue": view.is_overdue,
        "response_due_at": view.response_due_at,
        "resolution_due_at": view.resolution_due_at,
        "solved": view.solved,
        "satisfaction": view.satisfaction,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "closed_at": view.closed_at,
        "version": view.version,
        "events": [entry_out(e) for e in view.entries],
        "photos": [
            {
                "id": p.id,
                "kind": p.kind,
                "event_id": p.event_id,
                "width": p.width,
                "height": p.height,
                "url": p.url,
                "thumbnail_url": p.thumbnail_url,
            }
            for p in view.photos
        ],
        "appointments": [
            {
                "event_id": a.event_id,
                "starts_at": a.starts_at,
                "place": a.place,
                "participants": a.participants,
            }
            for a in view.appointments
        ],
        "actions": [
            {
                "action": t.action,
                "label": str(t.label),
                "requires": sorted(t.requires),
                "accepts": sorted(t.accepts),
                "danger": t.danger,
            }
            for t in view.actions
        ],
    }


def public_out(view: presenters.CaseView) -> dict[str, Any]:
    """Serialize the public status of a case (`presenters.public_case_view`), as its page shows it."""
    return {
        "tracking_number": view.tracking_number,
        "state": view.state,
        "state_label": view.state_label,
        "category": view.category.name,
        "created_at": view.created_at,
        "address": view.address,
        "lon": view.lon,
        "lat": view.lat,
        "merged_into": view.merged_into or "",
        "events": [
            {
                "id": e.id,
                "at": e.at,
                "action": e.action,
                "label": e.label,
                "state": e.to_state,
                "from_state": e.from_state,
                "state_label": e.state_label,
                "actor_role": e.actor_role,
                "actor_role_label": e.actor_role_label,
                "note": e.note,
                "note_is_reply": e.note_is_reply,
                "details": [{"label": label, "value": value} for label, value in e.details],
            }
            for e in view.entries
        ],
        "photos": [
            {"id": p.id, "kind": p.kind, "event_id": p.event_id, "thumbnail_url": p.thumbnail_url}
            for p in view.photos
        ],
    }
