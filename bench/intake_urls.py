"""URLconf for bench/bench_intake.py only: every real URL plus two bench endpoints.

- `POST /bench/insert` is the baseline the intake is measured against: the same request path through
  the same middleware and database settings, parsing a small JSON body and inserting one row into
  `bench_row` (which the benchmark creates), with no model, routing or workflow around it.
- `POST /bench/lean-intake` (`bench_intake.py --lean`) is an experiment, not a second intake: the
  writes `services.case_create` makes (counter, case, report event, queue notifications) in one
  transaction with as few statements as the ORM allows, to show the lead what is within reach. It
  skips validation and idempotent replays, and caches categories and queue owners for good.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicgrid.accounts.models import RoleAssignment
from civicgrid.cases import deadlines
from civicgrid.cases.models import Case, CaseEvent, Category, Notification, TrackingCounter
from civicgrid.places import routing


@csrf_exempt
@require_POST
def insert(request: HttpRequest) -> JsonResponse:
    """Insert one row holding the posted description; answer 201 with its id."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"message": "Send a JSON object.", "code": "invalid"}, status=400)
    payload = str(body.get("description", "")) if isinstance(body, dict) else ""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_row (payload) VALUES (%s) RETURNING id", [payload])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


_categories: dict[str, Category] = {}
_owners: dict[int, list[int]] = {}


def _category(code: str) -> Category:
    if not _categories:
        _categories.update({c.code: c for c in Category.objects.filter(parent__isnull=False, is_active=True)})
    return _categories[code]


def _grid_owners(grid_id: int) -> list[int]:
    if grid_id not in _owners:
        roles = [RoleAssignment.Role.GRID_WORKER, RoleAssignment.Role.GRID_LEADER]
        _owners[grid_id] = list(
            RoleAssignment.objects.filter(role__in=roles, place_id=grid_id, is_active=True)
            .values_list("user_id", flat=True)
            .distinct()
        )
    return _owners[grid_id]


def _next_number(day: Any) -> int:
    # One statement instead of UPDATE then SELECT; RETURNING works on SQLite 3.35+ and PostgreSQL.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_trackingcounter SET last = last + 1 WHERE day = %s RETURNING last", [day]
        )
        row = cursor.fetchone()
    if row:
        return row[0]
    try:
        with transaction.atomic():
            TrackingCounter.objects.create(day=day, last=1)
            return 1
    except IntegrityError:
        return _next_number(day)


@csrf_exempt
@require_POST
def lean_intake(request: HttpRequest) -> JsonResponse:
    """File a resident's report with the fewest statements: counter, case, event, notifications."""
    body = json.loads(request.body)
    category = _category(body["category"])
    crs = body.get("crs", "wgs84")
    location = routing.locate(body["lon"], body["lat"], crs=crs)
    key = request.headers.get("Idempotency-Key", "")
    now = timezone.now()
    day = timezone.localdate(now)
    with transaction.atomic():
        case = Case(
            tracking_number=f"{day:%Y%m%d}-{_next_number(day):04d}",
            source=Case.Source.RESIDENT,
            category=category,
            description=str(body.get("description", ""))[:2000],
            lon=location.lon,
            lat=location.lat,
            input_crs=crs,
            routed=location.routed,
            grid_id=location.grid.id if location.grid else None,
            village_id=location.village.id if location.village else None,
            town_id=location.town.id if location.town else None,
            district_id=location.district.id if location.district else None,
            priority=Case.Priority.URGENT if category.is_urgent else Case.Priority.NORMAL,
            idempotency_key=f"anon:{key}" if key else None,
        )
        case.step_due_at = deadlines.step_due(case, Case.State.REPORTED, now)
        case.save()
        CaseEvent.objects.create(
            case=case,
            actor=None,
            actor_role=Case.Source.RESIDENT,
            action="report",
            to_state=Case.State.REPORTED,
            data={"routed": location.routed, "crs": crs},
        )
        if location.grid:
            text = f"{case.tracking_number}: {Case.State.REPORTED.label}"
            Notification.objects.bulk_create(
                Notification(user_id=uid, case=case, kind=Notification.Kind.NEW_WORK, text=text)
                for uid in _grid_owners(location.grid.id)
            )
    return JsonResponse(
        {
            "tracking_number": case.tracking_number,
            "state": case.state,
            "routed": location.routed,
            "grid": location.grid.code if location.grid else None,
            "village": location.village.code if location.village else None,
            "town": location.town.code if location.town else None,
            "created_at": case.created_at.isoformat(),
            "status_url": request.build_absolute_uri(
                reverse("cases:public_status_number", args=[case.tracking_number])
            ),
        },
        status=201,
    )


urlpatterns = [
    path("bench/insert", insert),
    path("bench/lean-intake", lean_intake),
    path("", include("civicgrid.urls")),
]
