"""12345 hotline orders: map one work order onto a case, read CSV and Excel exports of many.

Used by the `POST /api/v1/cases/hotline/orders` endpoint (one order at a time, as the hotline system
pushes them), and by `manage.py import_hotline` and the upload page (`/cases/work/hotline-import/`),
which both run a batch exported from the hotline system through `import_orders`. All go through
`order_import`, which is idempotent on the order number: an order already filed returns its
case, never a second one. Both only parse; `services.case_create` decides (permission, category, ...).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases import access as case_access
from civicgrid.cases import services
from civicgrid.cases.models import Case
from civicgrid.core.errors import ApplicationError, PermissionDenied

# Column headers of the hotline exports, in Chinese or English, → order field.
HEADERS: dict[str, str] = {
    "工单编号": "order_number",
    "工单号": "order_number",
    "order_number": "order_number",
    "诉求分类": "category",
    "分类编码": "category",
    "category": "category",
    "诉求内容": "description",
    "description": "description",
    "经度": "lon",
    "lon": "lon",
    "longitude": "lon",
    "纬度": "lat",
    "lat": "lat",
    "latitude": "lat",
    "坐标系": "crs",
    "crs": "crs",
    "地址": "address",
    "address": "address",
    "来电号码": "caller_phone",
    "caller_phone": "caller_phone",
    "来电人": "caller_name",
    "caller_name": "caller_name",
    "紧急": "urgent",
    "是否紧急": "urgent",
    "urgent": "urgent",
    "受理时间": "received_at",
    "received_at": "received_at",
}
REQUIRED_COLUMNS = ("order_number", "category", "description", "lon", "lat")
# How each field is named in messages: the Chinese header and the English one, as the files use them.
COLUMN_NAMES = {
    "order_number": "工单编号/order_number",
    "category": "诉求分类/category",
    "description": "诉求内容/description",
    "lon": "经度/lon",
    "lat": "纬度/lat",
    "crs": "坐标系/crs",
    "address": "地址/address",
    "caller_phone": "来电号码/caller_phone",
    "caller_name": "来电人/caller_name",
    "urgent": "紧急/urgent",
    "received_at": "受理时间/received_at",
    "reporter_phone": "来电号码/caller_phone",
    "photos": "photos",
    "priority": "紧急/urgent",
}

_TRUE = {"1", "true", "yes", "y", "是", "紧急", "urgent", "t"}
_FALSE = {"", "0", "false", "no", "n", "否", "一般", "普通", "normal", "f"}
_CRS = {"wgs84": "wgs84", "gcj02": "gcj02", "bd09": "bd09", "bd09ll": "bd09", "gps": "wgs84"}
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")


@dataclass
class HotlineOrder:
    order_number: str
    category: str
    description: str
    lon: float | None
    lat: float | None
    crs: str = "wgs84"
    address: str = ""
    caller_phone: str = ""
    caller_name: str = ""
    received_at: datetime | None = None
    urgent: bool = False


def _text(value: Any) -> str:
    """Return a cell as text; Excel stores order and phone numbers as numbers (13800000001.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


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


def _moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
    else:
        text = _text(value).replace("/", "-").replace("T", " ")
        moment = None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for fmt in _DATETIME_FORMATS:
                try:
                    moment = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if moment is None:
            raise ValueError(_("“%(value)s” is not a date and time.") % {"value": text[:40]})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


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


def order_from_values(values: dict[str, Any]) -> HotlineOrder:
    """Return the order in a row or a request, keyed by field name; refuse it with every field error at once."""
    errors: dict[str, str] = {}

    def take(name: str, convert, default=None):
        try:
            return convert(values.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
            return default

    order = HotlineOrder(
        order_number=_text(values.get("order_number")),
        category=_text(values.get("category")).upper(),
        description=_text(values.get("description")),
        lon=take("lon", _number),
        lat=take("lat", _number),
        crs=take("crs", _crs, "wgs84"),
        address=_text(values.get("address"))[:200],
        caller_phone=_phone(values.get("caller_phone")),
        caller_name=_text(values.get("caller_name"))[:50],
        received_at=take("received_at", _moment),
        urgent=take("urgent", _flag, False),
    )
    if not order.order_number:
        errors["order_number"] = _("Give the work-order number.")
    elif len(order.order_number) > 64:
        errors["order_number"] = _("A work-order number has at most 64 characters.")
    if not order.category:
        errors["category"] = _("Give the category code.")
    for name in ("lon", "lat"):
        if name not in errors and getattr(order, name) is None:
            errors[name] = _("Give the longitude and latitude of the problem.")
    if errors:
        raise invalid(errors)
    return order


def order_import(*, order: HotlineOrder, user: User) -> services.Intake:
    """File one hotline order as a case, or return the case it was filed as before.

    `services.case_create` with source "hotline" (it checks that `user` may record cases for others,
    and the category), the caller as the (private) reporter and the order number as the external
    reference, which is unique per source: an order number already filed returns its case, even if
    the order reads differently now.
    """
    return services.case_create(
        reporter=None,
        actor=user,
        source=Case.Source.HOTLINE,
        category=order.category,
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
        event_data={"received_at": order.received_at.isoformat()} if order.received_at else None,
    )


def order_try(*, order: HotlineOrder, user: User) -> services.Intake:
    """Run `order_import` and roll it back: what a commit would do, with nothing written.

    Used by the import's dry run, so the check is the very code the commit runs (permission, routing,
    every rule of intake) rather than a copy of it that could drift.
    """
    with transaction.atomic():
        intake = order_import(order=order, user=user)
        transaction.set_rollback(True)
    return intake


def error_text(exc: ApplicationError) -> str:
    """Return an error as one line, naming the columns at fault."""
    fields = exc.extra.get("fields") if isinstance(exc.extra, dict) else None
    if fields:
        return "; ".join(f"{COLUMN_NAMES.get(name, name)}: {message}" for name, message in fields.items())
    field = exc.extra.get("field") if isinstance(exc.extra, dict) else None
    if field:
        return f"{COLUMN_NAMES.get(field, field)}: {exc.message}"
    return exc.message


# ---------------------------------------------------------------------------------------------
# Files


class FileProblem(Exception):
    """A file that cannot be read as a whole (wrong type, no header, missing columns)."""


@dataclass
class Row:
    number: int  # the row number a spreadsheet shows: the header is row 1
    values: dict[str, Any]


def _decode(raw: bytes) -> str:
    # Chinese Excel saves "CSV" as GB18030 (GBK); UTF-8 exports often start with a BOM.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise FileProblem(_("The file is neither UTF-8 nor GB18030 text.")) from None


def _csv_rows(raw: bytes) -> Iterator[list[Any]]:
    yield from csv.reader(io.StringIO(_decode(raw), newline=""))


def _xlsx_rows(raw: bytes) -> Iterator[list[Any]]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a dependency; this names it if it is missing
        raise FileProblem(_("Reading .xlsx files needs the openpyxl package.")) from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors on broken files
        raise FileProblem(_("This is not a readable .xlsx file: %(error)s") % {"error": exc}) from None
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def _header_key(value: Any) -> str:
    return re.sub(r"\s+", "_", _text(value).lstrip("\ufeff").strip().lower())


def read_rows(path: Path) -> Iterator[Row]:
    """Yield the data rows of a .csv or .xlsx export, keyed by field name; blank rows are skipped.

    Columns with unknown headers are ignored (hotline exports carry many); a missing required column
    is a FileProblem before any row is read.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileProblem(_("Give a .csv or .xlsx file."))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileProblem(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
        ) from None
    rows = _xlsx_rows(raw) if suffix == ".xlsx" else _csv_rows(raw)
    header = next(rows, None)
    if header is None:
        raise FileProblem(_("The file is empty."))
    columns = {index: HEADERS[key] for index, key in enumerate(map(_header_key, header)) if key in HEADERS}
    missing = [COLUMN_NAMES[name] for name in REQUIRED_COLUMNS if name not in columns.values()]
    if missing:
        raise FileProblem(
            _("Columns missing from the header row: %(columns)s") % {"columns": ", ".join(missing)}
        )
    for number, cells in enumerate(rows, start=2):
        if all(_text(cell) == "" for cell in cells):
            continue
        values = {name: cells[index] for index, name in columns.items() if index < len(cells)}
        yield Row(number=number, values=values)


@dataclass(frozen=True)
class BadRow:
    """A row that is not an order: its order number as written (if any) and why."""

    order_number: str
    message: str


def read_orders(path: Path) -> list[tuple[int, HotlineOrder | BadRow]]:
    """Return every data row of an export as (row number, order), or (row number, BadRow).

    Every row is read and parsed before anything is written, so a broken file writes nothing; raises
    FileProblem for a file that cannot be read as a whole.
    """
    orders: list[tuple[int, HotlineOrder | BadRow]] = []
    for row in read_rows(path):
        try:
            orders.append((row.number, order_from_values(row.values)))
        except ApplicationError as exc:
            written = _text(row.values.get("order_number"))[:64]
            orders.append((row.number, BadRow(written, error_text(exc))))
    return orders


@dataclass
class RowResult:
    """What importing (or checking) one row did: "created", "exists" or "failed"."""

    number: int
    outcome: str
    order_number: str = ""
    tracking_number: str = ""  # the case filed, or found; "" in a dry run's "created"
    message: str = ""  # the error of a failed row
    same_as_row: int | None = None  # a dry run's repeat of an order met on an earlier row


def check_import(user: User) -> None:
    if not case_access.can_import_hotline(user):
        raise PermissionDenied(
            _("%(username)s may not import 12345 workbooks.") % {"username": getattr(user, "username", "")}
        )


def import_orders(
    *, orders: Iterable[tuple[int, HotlineOrder | BadRow]], user: User, commit: bool
) -> Iterator[RowResult]:
    """Check (`commit=False`) or file each order of a workbook, each row on its own, and yield its result.

    The one loop of the command and the upload page. A dry run files each order in a transaction it
    rolls back (`order_try`), so it runs every rule the commit runs; an order number met on an earlier
    row is then reported as that row's (nothing was written for it). Raises PermissionDenied before
    the first row when `user` may not import, or when intake refuses them (refused once, refused for
    every row).
    """
    check_import(user)
    run = order_import if commit else order_try
    first_row: dict[str, int] = {}
    for number, order in orders:
        if isinstance(order, BadRow):
            yield RowResult(number, "failed", order_number=order.order_number, message=order.message)
            continue
        earlier = first_row.get(order.order_number)
        if not commit and earlier is not None:
            yield RowResult(number, "exists", order_number=order.order_number, same_as_row=earlier)
            continue
        try:
            intake = run(order=order, user=user)
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            yield RowResult(number, "failed", order_number=order.order_number, message=error_text(exc))
            continue
        first_row.setdefault(order.order_number, number)
        yield RowResult(
            number,
            "created" if intake.created else "exists",
            order_number=order.order_number,
            tracking_number=intake.case.tracking_number if commit or not intake.created else "",
        )


def outcome_counts(results: Iterable[RowResult]) -> dict[str, int]:
    counts = {"created": 0, "exists": 0, "failed": 0}
    for result in results:
        counts[result.outcome] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Uploads kept between the check and the commit (the upload page)

# Under the system's temporary directory of the machine that served the check: with several app
# machines, the commit must reach the same one (sticky sessions) or the page asks for the file again.
UPLOAD_DIR = Path(tempfile.gettempdir()) / "civicgrid-hotline-uploads"
UPLOAD_KEPT_SECONDS = 6 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def upload_keep(chunks: Iterable[bytes]) -> str:
    """Keep an uploaded workbook until it is committed; return the random token that names it.

    The token goes in the uploader's session only: the commit reads the file the check read, never
    rows sent back by the browser. Files older than UPLOAD_KEPT_SECONDS are removed on the way.
    """
    UPLOAD_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_KEPT_SECONDS
    for old in UPLOAD_DIR.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue  # another process removed it first
    token = secrets.token_hex(16)
    with (UPLOAD_DIR / f"{token}.xlsx").open("xb") as out:
        for chunk in chunks:
            out.write(chunk)
    return token


def upload_path(token: str) -> Path | None:
    """Return the kept upload named by `token`, or None when the token is malformed or the file gone."""
    if not _TOKEN.match(token or ""):
        return None
    path = UPLOAD_DIR / f"{token}.xlsx"
    return path if path.is_file() else None


def upload_drop(token: str) -> None:
    path = upload_path(token)
    if path is not None:
        path.unlink(missing_ok=True)
