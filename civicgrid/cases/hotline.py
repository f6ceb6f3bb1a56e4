"""12345 hotline orders as real exports carry them: map one work order onto a case, import many.

Used by the `POST /api/v1/cases/hotline/orders` endpoint (one order at a time, as the hotline system
pushes them), and by `manage.py import_hotline` and the upload page (`/cases/work/hotline-import/`),
which both run a batch exported from the hotline system through `import_orders`.

An order carries an address written by a call-taker and the hotline's own category path, seldom a
point. Each one is:
1. read (`order_from_values`): the headers real exports use, the request type (诉求类型) and the
   order's own time limit (办理时限: a date-time, or "5个工作日" counted from 受理时间 on the working-day
   calendar);
2. given its category (`hotline_categories`: a mapped path, or a CivicGrid code; an unmapped path is
   recorded and the row refused until someone answers it);
3. placed (`order_place`): its point when it has one; else its address matched in the standard
   address register of the importer's region (`addresses.matching`), filed in the grid when the match
   is confident, otherwise unrouted in the region's queue — an accepted order is never lost;
4. filed (`order_file`): the case and its `HotlineOrder` row in one transaction, idempotent on the
   order number: an order already filed returns its case, never a second one.
Both doors only parse; `services.case_create` decides (permission, category, every intake rule).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.addresses import locating, matching
from civicgrid.cases import access as case_access
from civicgrid.cases import deadlines, hotline_categories, services
from civicgrid.cases.models import Case
from civicgrid.cases.models import HotlineOrder as OrderRecord
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.lib import tables
from civicgrid.lib.tables import FileProblem
from civicgrid.places.addresses import locate_address
from civicgrid.places.models import Place
from civicgrid.places.routing import Location

__all__ = ["FileProblem"]

# Column headers of hotline exports (as `tables.header_key` writes them), in Chinese or English → field.
HEADERS: dict[str, str] = {
    **dict.fromkeys(["工单编号", "工单号", "编号", "工单编码", "order_number"], "order_number"),
    **dict.fromkeys(["受理时间", "来电时间", "登记时间", "received_at"], "received_at"),
    **dict.fromkeys(["来电人", "来电人姓名", "诉求人", "联系人", "caller_name"], "caller_name"),
    **dict.fromkeys(["来电号码", "联系电话", "联系方式", "caller_phone"], "caller_phone"),
    **dict.fromkeys(["诉求类型", "工单类型", "类型", "kind"], "kind"),
    **dict.fromkeys(
        ["问题分类", "诉求分类", "业务分类", "分类", "分类编码", "category", "category_path"], "category"
    ),
    **dict.fromkeys(["诉求内容", "问题描述", "工单内容", "内容", "description"], "description"),
    **dict.fromkeys(["事发地址", "发生地址", "地址", "问题地址", "address"], "address"),
    **dict.fromkeys(["承办单位", "办理单位", "主办单位", "handling_unit"], "handling_unit"),
    **dict.fromkeys(["办理时限", "处理时限", "办结时限", "截止时间", "time_limit", "due_at"], "time_limit"),
    **dict.fromkeys(["经度", "lon", "longitude"], "lon"),
    **dict.fromkeys(["纬度", "lat", "latitude"], "lat"),
    **dict.fromkeys(["坐标系", "crs"], "crs"),
    **dict.fromkeys(["紧急程度", "紧急", "是否紧急", "urgent"], "urgent"),
}
# How each field is named in messages: the Chinese header and the English one, as the files use them.
COLUMN_NAMES = {
    "order_number": "工单编号/order_number",
    "received_at": "受理时间/received_at",
    "caller_name": "来电人/caller_name",
    "caller_phone": "来电号码/caller_phone",
    "kind": "诉求类型/kind",
    "category": "问题分类/category",
    "description": "诉求内容/description",
    "address": "事发地址/address",
    "handling_unit": "承办单位/handling_unit",
    "time_limit": "办理时限/time_limit",
    "lon": "经度/lon",
    "lat": "纬度/lat",
    "crs": "坐标系/crs",
    "urgent": "紧急程度/urgent",
    # Fields of intake's own errors.
    "reporter_phone": "来电号码/caller_phone",
    "reporter_name": "来电人/caller_name",
    "priority": "紧急程度/urgent",
    "address_string": "事发地址/address",
    "photos": "photos",
}
REQUIRED_COLUMNS = ("order_number", "description", "category")

_TRUE = {"1", "true", "yes", "y", "是", "紧急", "特急", "加急", "急", "较急", "urgent", "t"}
_FALSE = {"", "0", "false", "no", "n", "否", "一般", "普通", "正常", "不急", "normal", "f"}
_CRS = {"wgs84": "wgs84", "gcj02": "gcj02", "bd09": "bd09", "bd09ll": "bd09", "gps": "wgs84"}
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")
# 诉求类型 as hotline systems write it (a word within the cell is enough: "投诉类") → HotlineOrder.Kind.
KINDS = {
    "咨询": OrderRecord.Kind.CONSULTATION,
    "求助": OrderRecord.Kind.HELP,
    "投诉": OrderRecord.Kind.COMPLAINT,
    "举报": OrderRecord.Kind.REPORT,
    "建议": OrderRecord.Kind.SUGGESTION,
    "consultation": OrderRecord.Kind.CONSULTATION,
    "help": OrderRecord.Kind.HELP,
    "complaint": OrderRecord.Kind.COMPLAINT,
    "report": OrderRecord.Kind.REPORT,
    "suggestion": OrderRecord.Kind.SUGGESTION,
    "other": OrderRecord.Kind.OTHER,
}
# A time limit written as a span: "5个工作日", "3天", "24小时", "48h", "5个工作日内".
_SPAN = re.compile(
    r"^(\d{1,3})\s*(?:个)?\s*(工作日|自然日|天|日|工作小时|小时|h|d|days?|hours?|workdays?)?\s*内?$"
)
_WORKDAY_UNITS = {None, "工作日", "workday", "workdays"}
_DAY_UNITS = {"自然日", "天", "日", "d", "day", "days"}


@dataclass
class Order:
    """One 12345 work order as read from a row or a request, before it is filed."""

    order_number: str
    category: str  # the hotline's category path, or a CivicGrid category code
    description: str
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = ""
    caller_phone: str = ""
    caller_name: str = ""
    received_at: datetime | None = None
    urgent: bool = False
    kind: str = OrderRecord.Kind.OTHER
    handling_unit: str = ""
    due_at: datetime | None = None  # the order's own time limit

    @property
    def has_point(self) -> bool:
        return self.lon is not None and self.lat is not None


_text = tables.text


def _number(value: Any) -> float | None:
    text = _text(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text[:40]}) from None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("Write 是/否 (yes/no), not “%(value)s”.") % {"value": text[:40]})


def _parse_moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        for fmt in _DATETIME_FORMATS:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
    return None


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return _aware(datetime.combine(value, datetime.min.time()))
    text = _text(value).replace("/", "-").replace("T", " ")
    moment = _parse_moment(text)
    if moment is None:
        raise ValueError(_("“%(value)s” is not a date and time.") % {"value": text[:40]})
    return _aware(moment)


def time_limit(value: Any, received_at: datetime | None, now: datetime | None = None) -> datetime | None:
    """Return the deadline an order's time limit (办理时限) gives, or None when it has none.

    A date-time is the deadline itself (a date alone: the end of that day); a span is counted from
    when the hotline received the order (else from now): "5个工作日" (or a bare 5) in working days on
    the case calendar (`deadlines.add_workdays`), "3天" in calendar days, "24小时" in hours.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return _aware(datetime.combine(value, datetime.max.time().replace(microsecond=0)))
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = _text(value)
    else:
        text = unicodedata.normalize("NFKC", _text(value)).strip().lower()
    start = received_at or now or timezone.now()
    span = _SPAN.match(text)
    if span:
        amount, unit = int(span.group(1)), span.group(2)
        if unit in _WORKDAY_UNITS:
            return deadlines.add_workdays(start, amount)
        if unit in _DAY_UNITS:
            return start + timedelta(days=amount)
        return start + timedelta(hours=amount)
    cleaned = text.replace("/", "-").replace("t", " ")
    moment = _parse_moment(cleaned)
    if moment is None:
        raise ValueError(
            _("“%(value)s” is neither a date and time nor a span such as 5个工作日 or 24小时.")
            % {"value": _text(value)[:40]}
        )
    if len(cleaned) <= 10 or cleaned.endswith("日"):  # a date alone: by the end of that day
        moment = moment.replace(hour=23, minute=59, second=59)
    return _aware(moment)


def _kind(value: Any) -> str:
    text = unicodedata.normalize("NFKC", _text(value)).strip().lower()
    if text in KINDS:
        return KINDS[text]
    for word, kind in KINDS.items():
        if word in text:
            return kind
    return OrderRecord.Kind.OTHER


def _phone(value: Any) -> str:
    phone = re.sub(r"[\s()]", "", _text(value))
    # Hotline systems record mobiles with the country code; the case keeps the national number.
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :].lstrip("-")
    if len(phone) == 13 and phone.startswith("861"):
        phone = phone[2:]
    return phone


def _crs(value: Any) -> str:
    text = re.sub(r"[\s_-]", "", _text(value).lower())
    if not text:
        return "wgs84"
    if text not in _CRS:
        raise ValueError(_("Use wgs84, gcj02 or bd09, not “%(value)s”.") % {"value": _text(value)[:20]})
    return _CRS[text]


def invalid(fields: dict[str, str]) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), code="invalid", extra={"fields": fields})


def order_from_values(values: dict[str, Any], *, now: datetime | None = None) -> Order:
    """Return the order in a row or a request, keyed by field name; refuse it with every field error at once."""
    errors: dict[str, str] = {}

    def take(name: str, convert, default=None):
        try:
            return convert(values.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
            return default

    received_at = take("received_at", _moment)
    order = Order(
        order_number=_text(values.get("order_number")),
        category=unicodedata.normalize("NFKC", _text(values.get("category")))[:200],
        description=_text(values.get("description")),
        lon=take("lon", _number),
        lat=take("lat", _number),
        crs=take("crs", _crs, "wgs84"),
        address=_text(values.get("address"))[:200],
        caller_phone=_phone(values.get("caller_phone")),
        caller_name=_text(values.get("caller_name"))[:50],
        received_at=received_at,
        urgent=take("urgent", _flag, False),
        kind=_kind(values.get("kind")),
        handling_unit=_text(values.get("handling_unit"))[:100],
        due_at=take("time_limit", lambda value: time_limit(value, received_at, now)),
    )
    if not order.order_number:
        errors["order_number"] = _("Give the work-order number.")
    elif len(order.order_number) > 64:
        errors["order_number"] = _("A work-order number has at most 64 characters.")
    if not order.category:
        errors["category"] = _("Give the hotline's category path (问题分类) or a category code.")
    if not order.description:
        errors["description"] = _("Give what the caller asked for (诉求内容).")
    if "lon" not in errors and "lat" not in errors and (order.lon is None) != (order.lat is None):
        errors["lon" if order.lon is None else "lat"] = _(
            "Give both the longitude and the latitude, or neither."
        )
    if not order.has_point and not order.address and not {"lon", "lat"} & errors.keys():
        errors["address"] = _("Give the address of the problem (事发地址), or its longitude and latitude.")
    if errors:
        raise invalid(errors)
    return order


# ---------------------------------------------------------------------------------------------
# Placing an order


@dataclass(frozen=True)
class Placement:
    """Where an order goes before intake files it: a location (None: its point, routed by intake)."""

    location: Location | None
    routed_by: str  # "point", the register's method ("exact", "alias", "parts", "similar"), or ""
    confidence: float | None = None
    address_id: int | None = None


def _queue_region(region: Place | None) -> Place | None:
    """Return the region whose queue takes an unsure order when `region` has no place on the map
    (a city; no region at all for a superuser): its first district."""
    if region is not None and region.level != "city":
        return region
    districts = Place.objects.filter(level=Place.Level.DISTRICT).order_by("code")
    if region is not None:
        districts = districts.filter(code__startswith=region.scope_prefix)
    return districts.first()


def order_place(order: Order, region: Place | None) -> Placement:
    """Decide where an order goes.

    1. A point: as every report, routed by intake (`routing.locate`).
    2. An address: matched in the register within `region`; a confident match files it in the grid.
    3. Otherwise unrouted, in the queue of the village or town the address names within the region
       (`places.addresses.locate_address`), else of the region itself.
    """
    if order.has_point:
        return Placement(None, "point")
    found = matching.match(order.address, within=region)
    if found is not None and found.confident:
        location = locating.in_grid(found.grid_id, found.lon, found.lat)
        if location is not None:
            return Placement(location, found.method, found.confidence, found.address_id)
    within = region
    if region is None or region.level == "city":
        named = None
        if region is not None:
            try:
                named = locate_address(order.address, region)
            except ApplicationError:
                named = None
        if named is not None:
            return Placement(named, "", found.confidence if found else None)
        within = _queue_region(region)
    if within is None:
        raise ApplicationError(
            _("There is no region to file this order in: send its longitude and latitude."),
            code="unplaceable",
            extra={"fields": {"address": _("Give the longitude and latitude of the problem.")}},
        )
    location = locate_address(order.address, within)
    return Placement(location, "", found.confidence if found else None)


# ---------------------------------------------------------------------------------------------
# Filing an order


@dataclass
class Filed:
    """What filing one order did: its case, whether it was created, where it went and how."""

    case: Case
    created: bool
    location: Location | None = None
    routed_by: str = ""
    confidence: float | None = None


def filed_case(order_number: str) -> Case | None:
    """Return the case an order number was filed as, or None."""
    return Case.objects.filter(source=Case.Source.HOTLINE, external_ref=order_number).first()


def order_file(*, order: Order, user: User, code: str, region: Place | None) -> Filed:
    """File one order as a case in category `code`, or return the case it was filed as before.

    `services.case_create` with source "hotline" (it checks that `user` may record cases for others,
    and the category), the caller as the (private) reporter, the order number as the external
    reference (unique per source: an order number already filed returns its case, even if the order
    reads differently now), the order's time limit as the resolution deadline; its `HotlineOrder` row
    is written in the case's own transaction. Only staff who may record cases learn of an order
    already filed.
    """
    case_access.check_intake(user)
    existing = filed_case(order.order_number)
    if existing is not None:
        return Filed(existing, False)
    placement = order_place(order, region)

    def keep_order(case: Case) -> None:
        routed = case.routed and placement.routed_by
        OrderRecord.objects.create(
            case=case,
            order_number=order.order_number,
            kind=order.kind,
            category_path="" if hotline_categories.is_code(order.category) else order.category,
            received_at=order.received_at,
            due_at=order.due_at,
            handling_unit=order.handling_unit,
            address_text=order.address,
            routed_by=placement.routed_by if routed else "",
            confidence=placement.confidence,
            address_id=placement.address_id if routed else None,
        )

    data: dict[str, Any] = {"order_number": order.order_number, "kind": order.kind}
    if order.received_at:
        data["received_at"] = order.received_at.isoformat()
    intake = services.case_create(
        reporter=None,
        actor=user,
        source=Case.Source.HOTLINE,
        category=code,
        description=order.description,
        lon=order.lon,
        lat=order.lat,
        crs=order.crs,
        address=order.address,
        reporter_name=order.caller_name,
        reporter_phone=order.caller_phone,
        # A caller did not choose to publish their words; the hotline tracks its own orders.
        is_public=False,
        priority=Case.Priority.URGENT if order.urgent else Case.Priority.NORMAL,
        external_ref=order.order_number,
        event_data=data,
        location=placement.location,
        resolution_due_at=order.due_at,
        after_insert=keep_order,
    )
    location = intake.location
    routed = bool(location and location.routed)
    return Filed(
        intake.case,
        intake.created,
        location,
        placement.routed_by if routed else "",
        placement.confidence,
    )


def order_try(*, order: Order, user: User, code: str, region: Place | None) -> Filed:
    """Run `order_file` and roll it back: what a commit would do, with nothing written.

    Used by the import's dry run, so the check is the very code the commit runs (permission, routing,
    every rule of intake) rather than a copy of it that could drift.
    """
    with transaction.atomic():
        filed = order_file(order=order, user=user, code=code, region=region)
        transaction.set_rollback(True)
    return filed


def unmapped_error(path: str) -> ApplicationError:
    message = hotline_categories.unmapped_message(path)
    return ApplicationError(
        message,
        code="category_unmapped",
        extra={"fields": {"category": message}, "path": path},
    )


def order_import(*, order: Order, user: User) -> Filed:
    """File one order pushed by the hotline system (the API): its category resolved, its path
    recorded and counted, in the region of `user`; an unmapped path is refused (`category_unmapped`)."""
    case_access.check_intake(user)
    existing = filed_case(order.order_number)
    if existing is not None:
        return Filed(existing, False)
    resolved = hotline_categories.resolve(order.category)
    if resolved.key:
        hotline_categories.paths_seen({resolved.key: (order.category, 1)}, count=True)
    if resolved.unmapped:
        raise unmapped_error(order.category)
    return order_file(order=order, user=user, code=resolved.code, region=case_access.hotline_region(user))


def error_text(exc: ApplicationError) -> str:
    """Return an error as one line, naming the columns at fault."""
    fields = exc.extra.get("fields") if isinstance(exc.extra, dict) else None
    if fields:
        return "; ".join(f"{COLUMN_NAMES.get(name, name)}: {message}" for name, message in fields.items())
    field_name = exc.extra.get("field") if isinstance(exc.extra, dict) else None
    if field_name:
        return f"{COLUMN_NAMES.get(field_name, field_name)}: {exc.message}"
    return exc.message


# ---------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class BadRow:
    """A row that is not an order: its order number as written (if any) and why."""

    order_number: str
    message: str


def _check_header(raw: bytes, filename: str) -> None:
    """Refuse a file whose header lacks a required column, or both the address and the point."""
    header = next(tables.cells(raw, filename), None)
    if header is None:
        raise FileProblem(_("The file is empty."))
    present = {HEADERS[key] for key in map(tables.header_key, header) if key in HEADERS}
    missing = [COLUMN_NAMES[name] for name in REQUIRED_COLUMNS if name not in present]
    if "address" not in present and not {"lon", "lat"} <= present:
        missing.append(
            _("%(address)s, or %(lon)s and %(lat)s")
            % {"address": COLUMN_NAMES["address"], "lon": COLUMN_NAMES["lon"], "lat": COLUMN_NAMES["lat"]}
        )
    if missing:
        raise FileProblem(
            _("Columns missing from the header row: %(columns)s") % {"columns": ", ".join(missing)}
        )


def parse_orders(raw: bytes, filename: str) -> list[tuple[int, Order | BadRow]]:
    """Return every data row of an export as (row number, order), or (row number, BadRow).

    Every row is read and parsed before anything is written, so a broken file writes nothing; raises
    FileProblem for a file that cannot be read as a whole (type, encoding, missing columns).
    """
    _check_header(raw, filename)
    now = timezone.now()
    orders: list[tuple[int, Order | BadRow]] = []
    for row in tables.rows(raw, filename, headers=HEADERS):
        try:
            orders.append((row.number, order_from_values(row.values, now=now)))
        except ApplicationError as exc:
            written = _text(row.values.get("order_number"))[:64]
            orders.append((row.number, BadRow(written, error_text(exc))))
    return orders


def read_orders(path: Path) -> list[tuple[int, Order | BadRow]]:
    """Return the orders of the export at `path` (`parse_orders`)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileProblem(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
        ) from None
    return parse_orders(raw, path.name)


# ---------------------------------------------------------------------------------------------
# A batch


@dataclass
class RowResult:
    """What importing (or checking) one row did: "created" (in its grid), "unrouted" (in the region's
    queue), "exists" (filed before, or earlier in the file) or "failed"."""

    number: int
    outcome: str
    order_number: str = ""
    tracking_number: str = ""  # the case filed, or found; "" in a dry run's "created"
    message: str = ""  # the error of a failed row
    same_as_row: int | None = None  # a dry run's repeat of an order met on an earlier row
    place: str = ""  # the grid it goes to (unrouted: the village, town or region whose queue)
    routed_by: str = ""
    confidence: float | None = None
    unmapped_key: str = ""  # a failed row's category path not mapped yet (its key)


@dataclass
class Unmapped:
    """A category path an import could not map: asked once, on the report."""

    key: str
    path: str
    rows: int


@dataclass
class Run:
    """A batch's results, its counts and the category paths it could not map."""

    results: list[RowResult] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return outcome_counts(self.results)


def check_import(user: User) -> None:
    if not case_access.can_import_hotline(user):
        raise PermissionDenied(
            _("%(username)s may not import 12345 workbooks.") % {"username": getattr(user, "username", "")}
        )


def _filed_numbers(numbers: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        found.update(
            Case.objects.filter(source=Case.Source.HOTLINE, external_ref__in=chunk).values_list(
                "external_ref", "tracking_number"
            )
        )
    return found


def _place_name(location: Location | None) -> str:
    if location is None:
        return ""
    for ref in (location.grid, location.village, location.town, location.district):
        if ref is not None:
            return ref.name
    return ""


def import_orders(
    *, orders: list[tuple[int, Order | BadRow]], user: User, commit: bool, progress=None
) -> Run:
    """Check (`commit=False`) or file each order of a workbook, each row on its own; return the report.

    The one loop of the command and the upload page.
    1. Refuse a user who may not import (PermissionDenied, before any row).
    2. Resolve the category of every order at once; record the paths not mapped yet (and, on a
       commit, count the orders of each path). Their rows fail with "category path not mapped yet";
       the run lists the paths with their row counts, to be answered once.
    3. File each row (`order_file`), or in a dry run file and roll it back (`order_try`), so the
       check runs every rule the commit runs; an order number met on an earlier row is then reported
       as that row's (nothing was written for it). `progress` wraps the rows (a progress bar).
    """
    check_import(user)
    region = case_access.hotline_region(user)
    numbers = [order.order_number for _n, order in orders if isinstance(order, Order)]
    filed = _filed_numbers(numbers)
    resolved = hotline_categories.resolve_all(
        order.category for _n, order in orders if isinstance(order, Order) and order.order_number not in filed
    )
    seen: dict[str, tuple[str, int]] = {}
    for _n, order in orders:
        if isinstance(order, Order) and order.order_number not in filed:
            found = resolved[order.category]
            if found.key:
                path, count = seen.get(found.key, (order.category, 0))
                seen[found.key] = (path, count + 1)
    with transaction.atomic():
        hotline_categories.paths_seen(seen, count=commit)
    run = Run()
    unmapped: dict[str, Unmapped] = {}
    first_row: dict[str, int] = {}
    rows = progress(orders) if progress is not None else orders
    for number, order in rows:
        if isinstance(order, BadRow):
            run.results.append(
                RowResult(number, "failed", order_number=order.order_number, message=order.message)
            )
            continue
        earlier = first_row.get(order.order_number)
        if earlier is not None and not commit:
            run.results.append(
                RowResult(number, "exists", order_number=order.order_number, same_as_row=earlier)
            )
            continue
        first_row.setdefault(order.order_number, number)
        tracking = filed.get(order.order_number)
        if tracking is not None:
            run.results.append(
                RowResult(number, "exists", order_number=order.order_number, tracking_number=tracking)
            )
            continue
        category = resolved[order.category]
        if category.unmapped:
            entry = unmapped.setdefault(category.key, Unmapped(category.key, order.category, 0))
            entry.rows += 1
            run.results.append(
                RowResult(
                    number,
                    "failed",
                    order_number=order.order_number,
                    message=error_text(unmapped_error(order.category)),
                    unmapped_key=category.key,
                )
            )
            continue
        try:
            done = (order_file if commit else order_try)(
                order=order, user=user, code=category.code, region=region
            )
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            run.results.append(
                RowResult(number, "failed", order_number=order.order_number, message=error_text(exc))
            )
            continue
        if not done.created:
            outcome = "exists"
        else:
            outcome = "created" if done.location is not None and done.location.routed else "unrouted"
        run.results.append(
            RowResult(
                number,
                outcome,
                order_number=order.order_number,
                tracking_number=done.case.tracking_number if commit or not done.created else "",
                place=_place_name(done.location),
                routed_by=done.routed_by,
                confidence=done.confidence,
            )
        )
    run.unmapped = sorted(unmapped.values(), key=lambda u: (-u.rows, u.key))
    return run


COUNT_KEYS = ("routed", "unrouted", "repeated", "unmapped", "failed")


def outcome_counts(results: Iterable[RowResult]) -> dict[str, int]:
    """Count a report's rows: routed to their grid, unrouted, repeated (filed before or earlier in the
    file), refused for an unmapped category path, failed otherwise."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for result in results:
        if result.outcome == "created":
            counts["routed"] += 1
        elif result.outcome == "unrouted":
            counts["unrouted"] += 1
        elif result.outcome == "exists":
            counts["repeated"] += 1
        elif result.unmapped_key:
            counts["unmapped"] += 1
        else:
            counts["failed"] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Uploads kept between the check and the commit (the upload page)

UPLOADS = tables.KeptUploads("civicgrid-hotline-uploads")
upload_keep, upload_path, upload_drop = UPLOADS.keep, UPLOADS.path, UPLOADS.drop
