"""URLconf for bench/bench_intake.py only: every real URL plus two bench endpoints.

- `POST /bench/insert` is the baseline the intake is measured against: the same request path through
  the same middleware and database settings, parsing a small JSON body and inserting one row into
  `bench_row` (which the benchmark creates), with no model, routing or workflow around it.
- `POST /bench/lean-intake` is the floor the intake target is set against, not a second intake: only
  the writes a report must make to be on the record (counter, case with its key, report event, queue
  notifications, the kept counts), in its own few statements, with nothing around them; on PostgreSQL
  all the writes go in one statement. Its rate is about the most any intake that keeps this record
  could reach on this machine.
"""

from __future__ import annotations

import contextlib
import json

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicgrid.cases import categories, counts, figures, notices, sql, workflow
from civicgrid.cases.models import Case, CaseEvent, Notification
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


@csrf_exempt
@require_POST
def lean_intake(request: HttpRequest) -> JsonResponse:
    """The floor: what must happen for a report to be on the record, with no checks around it.

    In one transaction: the day's counter, the case (with its idempotency key: a retry is refused by
    the unique index, as in intake), its report event, the queue's notifications, the kept counts and
    figures. Its own few statements, or public functions (`categories.eligible`, `routing.locate`,
    `workflow.step_due`, `sql.notify_role_holders`, `figures.record`, `counts.move`): nothing private
    of the intake service. No validation,
    no ninja, no rate limit, no photos.
    """
    body = json.loads(request.body)
    category = categories.eligible(body["category"])
    crs = body.get("crs", "wgs84")
    location = routing.locate(body["lon"], body["lat"], crs=crs)
    now = timezone.now()
    case = Case(
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
        idempotency_key="anon:" + request.headers.get("Idempotency-Key", ""),
    )
    case.step_due_at = workflow.step_due(case, Case.State.REPORTED, now)
    event = CaseEvent(
        actor=None, actor_role=Case.Source.RESIDENT, action="report", to_state=Case.State.REPORTED
    )
    event.data = {"routed": location.routed, "crs": crs}
    try:
        if connection.vendor == "postgresql":
            # Under gunicorn the statement runs alone (autocommit); inside a test's transaction a
            # savepoint keeps a refused retry from aborting the test's.
            with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
                case.tracking_number = _pg_one_statement(
                    case, event, now, location.grid.id if location.grid else None
                )
        else:
            _write(case, event, now, location.grid.id if location.grid else None)
    except IntegrityError:
        # Insert first, like intake: the key's unique index refuses a retry.
        return JsonResponse({"message": "seen"}, status=200)
    return JsonResponse(
        {"tracking_number": case.tracking_number, "state": case.state, "routed": case.routed}, status=201
    )


def _write(case: Case, event: CaseEvent, now, grid_id: int | None) -> None:
    day = timezone.localdate(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO cases_trackingcounter (day, last) VALUES (%s, 1) ON CONFLICT (day) "
                "DO UPDATE SET last = cases_trackingcounter.last + 1 RETURNING last",
                [connection.ops.adapt_datefield_value(day)],
            )
            (number,) = cursor.fetchone()
        case.tracking_number = f"{day:%Y%m%d}-{number:04d}"
        case.pk = _insert_row(case)
        event.case_id = case.pk
        _insert_row(event)
        if grid_id:
            sql.notify_role_holders(
                roles=("grid_worker", "grid_leader"),
                place_id=grid_id,
                case_id=case.pk,
                kind=Notification.Kind.NEW_WORK,
                text=f"{case.tracking_number}：待核实",
                message=notices.STEP,
                params={"number": case.tracking_number, "state": Case.State.REPORTED},
                at=now,
            )
        figures.record(case, event)
        counts.move(None, counts.where(case))


def _columns(model, skip=()) -> list:
    return [
        f
        for f in model._meta.local_concrete_fields
        if f is not model._meta.auto_field and f.attname not in skip
    ]


_INSERTS: dict[type, str] = {}


def _insert_row(obj) -> int:
    """INSERT one row with a statement written once per model (the floor's own: no ORM compiling)."""
    model = type(obj)
    fields = _columns(model)
    if model not in _INSERTS:
        quote = connection.ops.quote_name
        _INSERTS[model] = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id"
        )
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_INSERTS[model], params)
        return cursor.fetchone()[0]


def _pg_one_statement(case: Case, event: CaseEvent, now, grid_id: int | None) -> str:
    """On PostgreSQL the floor is lower still: every write in one statement (data-modifying CTEs), so
    one round trip and no BEGIN/COMMIT; what a PostgreSQL-only intake could do at best."""
    quote = connection.ops.quote_name

    case_fields = _columns(Case, {"tracking_number"})
    event_fields = _columns(CaseEvent, {"case_id"})
    case.tracking_number = ""
    event.case_id = 0
    case_params = [f.get_db_prep_save(f.pre_save(case, True), connection=connection) for f in case_fields]
    event_params = [f.get_db_prep_save(f.pre_save(event, True), connection=connection) for f in event_fields]
    day = timezone.localdate(now)
    statement = f"""
        WITH n AS (
            INSERT INTO cases_trackingcounter (day, last) VALUES (%s, 1)
            ON CONFLICT (day) DO UPDATE SET last = cases_trackingcounter.last + 1 RETURNING last
        ), c AS (
            INSERT INTO cases_case ({", ".join(quote(f.column) for f in case_fields)}, tracking_number)
            SELECT {", ".join(["%s"] * len(case_fields))},
                   %s || '-' || lpad(n.last::text, greatest(4, length(n.last::text)), '0') FROM n
            RETURNING id, tracking_number
        ), e AS (
            INSERT INTO cases_caseevent ({", ".join(quote(f.column) for f in event_fields)}, case_id)
            SELECT {", ".join(["%s"] * len(event_fields))}, c.id FROM c
        ), x AS (
            INSERT INTO cases_notification (user_id, case_id, kind, text, message, params, created_at)
            SELECT DISTINCT ra.user_id, c.id, %s, c.tracking_number || '：待核实', %s,
                   jsonb_build_object('number', c.tracking_number, 'state', 'reported'), %s
            FROM c, accounts_roleassignment ra JOIN accounts_user u ON u.id = ra.user_id
            WHERE ra.place_id = %s AND ra.is_active AND u.is_active AND ra.role IN ('grid_worker', 'grid_leader')
        ), t AS (
            INSERT INTO cases_casetally (place_id, state, day, n)
            SELECT p, 'reported', %s, 1 FROM unnest(%s::bigint[]) AS p ORDER BY p
            ON CONFLICT (place_id, state, day) DO UPDATE SET n = cases_casetally.n + excluded.n
        ), g AS (
            INSERT INTO cases_casefigure (place_id, agency_id, user_id, day, key, n)
            SELECT p, 0, 0, %s, k, 1 FROM unnest(%s::bigint[]) AS p, unnest(%s::text[]) AS k ORDER BY p, k
            ON CONFLICT (place_id, agency_id, user_id, day, key)
            DO UPDATE SET n = cases_casefigure.n + excluded.n
        ), m AS (
            INSERT INTO cases_casefiguremonth (place_id, agency_id, user_id, month, key, n)
            SELECT p, 0, 0, %s, k, 1 FROM unnest(%s::bigint[]) AS p, unnest(%s::text[]) AS k ORDER BY p, k
            ON CONFLICT (place_id, agency_id, user_id, month, key)
            DO UPDATE SET n = cases_casefiguremonth.n + excluded.n
        )
        SELECT tracking_number FROM c
    """
    keys = sorted(fact.key for fact in figures.facts_of(event, case, []))
    params = [
        day,
        *case_params,
        f"{day:%Y%m%d}",
        *event_params,
        Notification.Kind.NEW_WORK,
        notices.STEP,
        now,
        grid_id,
        day,
        sorted(counts.where(case).places),
        day,
        sorted(counts.where(case).places),
        keys,
        day.replace(day=1),
        sorted(counts.where(case).places),
        keys,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


urlpatterns = [
    path("bench/insert", insert),
    path("bench/lean-intake", lean_intake),
    path("", include("civicgrid.urls")),
]
