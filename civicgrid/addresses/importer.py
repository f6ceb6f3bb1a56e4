"""Import a workbook of standard addresses (.xlsx or .csv): a dry run with a report per row, then the import.

Headers in Chinese or English, with the variants real registers use (`HEADERS`): 网格编码 grid, 道路
road, 门牌号 number, 小区 compound, 楼栋 building, 单元 unit, 别名 aliases (separated by ；;、|), 经度
lon, 纬度 lat, or 标准地址 address (a whole address instead of the parts). A row needs its grid's code,
or a point that finds its grid.

Each row on its own: a row that passes is written even when others fail, and the report says which
failed and why. That suits a register kept over months — the corrected rows are imported later, and
since the import is idempotent (a row whose address the grid already has is "exists", never a second
one) the same file twice adds nothing. The dry run runs every row through the very service the commit
runs (`services.address_add`), in a transaction it rolls back: what it reports is what the commit does.

Used by `manage.py import_addresses` and the upload page (`views.import_page`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.addresses import access, services
from civicgrid.addresses.models import Address
from civicgrid.core.errors import ApplicationError, PermissionDenied
from civicgrid.lib import tables
from civicgrid.lib.tables import FileProblem
from civicgrid.places import routing
from civicgrid.places.models import Place

__all__ = ["HEADERS", "FileProblem", "import_rows", "read", "template_workbook"]

# Header (as `tables.header_key` writes it) → field.
HEADERS: dict[str, str] = {}
for _field, _names in {
    "grid": ("网格编码", "网格代码", "网格编号", "所属网格编码", "grid", "grid_code", "grid code"),
    "road": ("道路", "路名", "街路巷", "街路巷名称", "道路名称", "街道路名", "road", "street"),
    "number": ("门牌号", "门牌", "号", "门牌号码", "number", "house_number", "house number"),
    "compound": ("小区", "小区名称", "小区名", "住宅小区", "compound", "residential_compound"),
    "building": ("楼栋", "幢", "栋", "楼号", "楼栋号", "幢号", "building"),
    "unit": ("单元", "单元号", "unit"),
    "aliases": ("别名", "曾用名", "别名/曾用名", "aliases", "alias", "former_names"),
    "lon": ("经度", "lon", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "crs": ("坐标系", "crs"),
    "address": ("标准地址", "地址", "地址全称", "标准地址全称", "address", "full_address"),
}.items():
    for _name in _names:
        HEADERS[tables.header_key(_name)] = _field
# How each field is named in messages: the Chinese header and the English one.
COLUMN_NAMES = {
    "grid": "网格编码/grid",
    "road": "道路/road",
    "number": "门牌号/number",
    "compound": "小区/compound",
    "building": "楼栋/building",
    "unit": "单元/unit",
    "aliases": "别名/aliases",
    "lon": "经度/lon",
    "lat": "纬度/lat",
    "crs": "坐标系/crs",
    "address": "标准地址/address",
    "text": "别名/aliases",
}
ALIAS_SEPARATORS = re.compile(r"[；;、|｜]")
MAX_ROWS = 20000
# Template columns, in order, with an example row.
TEMPLATE_HEADERS = ("网格编码", "道路", "门牌号", "小区", "楼栋", "单元", "别名", "经度", "纬度", "标准地址")


@dataclass
class AddressRow:
    """One row of a workbook as read: the address's parts (or whole text), grid, aliases, point."""

    number: int
    values: dict[str, str]
    aliases: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class RowResult:
    """What importing (or checking) one row did: "created", "exists" or "failed"."""

    number: int
    outcome: str
    text: str = ""
    address_id: int | None = None  # the address added (commit) or found (exists)
    message: str = ""
    same_as_row: int | None = None  # a row repeating an earlier row of the same file


def read(raw: bytes, filename: str) -> list[AddressRow]:
    """Return every data row of a workbook; raises FileProblem for a file that cannot be read as a whole."""
    rows: list[AddressRow] = []
    for row in tables.rows(raw, filename, headers=HEADERS):
        values = {name: tables.text(value) for name, value in row.values.items()}
        if len(rows) >= MAX_ROWS:
            raise FileProblem(_("The workbook has more than %(n)d rows: split it.") % {"n": MAX_ROWS})
        aliases = [a.strip() for a in ALIAS_SEPARATORS.split(values.pop("aliases", "")) if a.strip()]
        rows.append(AddressRow(number=row.number, values=values, aliases=aliases))
    if rows:
        named = set().union(*(r.values for r in rows))
        if not named & {"road", "compound", "address"}:
            raise FileProblem(
                _(
                    "The header row names no address column: give 道路/road or 小区/compound, "
                    "or 标准地址/address."
                )
            )
    return rows


def read_path(path: Path) -> list[AddressRow]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileProblem(
            _("Cannot read %(path)s: %(error)s") % {"path": path.name, "error": exc.strerror}
        ) from None
    return read(raw, path.name)


def error_text(exc: ApplicationError) -> str:
    """Return a refusal as one line, naming the columns at fault."""
    fields = exc.extra.get("fields") if isinstance(exc.extra, dict) else None
    if fields:
        return "; ".join(f"{COLUMN_NAMES.get(name, name)}: {message}" for name, message in fields.items())
    return exc.message


class _RowError(Exception):
    pass


def _grid_of(row: AddressRow, region: Place, grids: dict[str, Place | None]) -> Place:
    """Return the row's grid: by its code, else by its point; it must lie within `region`."""
    code = row.values.get("grid", "")
    if code:
        if code not in grids:
            grids[code] = Place.objects.filter(code=code, level=Place.Level.GRID).first()
        grid = grids[code]
        if grid is None:
            raise _RowError(
                f"{COLUMN_NAMES['grid']}: " + _("no grid has the code %(code)s.") % {"code": code}
            )
    elif row.values.get("lon") and row.values.get("lat"):
        try:
            where = routing.locate(row.values["lon"], row.values["lat"], row.values.get("crs") or "wgs84")
        except ApplicationError as exc:
            raise _RowError(f"{COLUMN_NAMES['lon']}: {exc.message}") from None
        if not where.routed or where.grid is None:
            raise _RowError(f"{COLUMN_NAMES['lon']}: " + _("the point lies outside every grid."))
        grid = Place.objects.get(pk=where.grid.id)
    else:
        raise _RowError(_("Give the grid's code (网格编码), or the longitude and latitude."))
    if not grid.is_within(region):
        raise _RowError(
            _("Grid %(grid)s is not within %(region)s.") % {"grid": grid.code, "region": region.display_name}
        )
    return grid


def _add(row: AddressRow, grid: Place, user: User | None) -> Address:
    values = row.values
    return services.address_add(
        user=user,
        grid=grid,
        road=values.get("road", ""),
        number=values.get("number", ""),
        compound=values.get("compound", ""),
        building=values.get("building", ""),
        unit=values.get("unit", ""),
        text=values.get("address", "") if not any(values.get(p) for p in services.PARTS) else "",
        lon=values.get("lon") or None,
        lat=values.get("lat") or None,
        crs=(values.get("crs") or "wgs84").lower(),
        aliases=row.aliases,
        source=Address.Source.IMPORT,
    )


def import_rows(
    *, rows: Iterable[AddressRow], region: Place, user: User | None, commit: bool
) -> list[RowResult]:
    """Check (`commit=False`) or import each row of a workbook on its own, and return its results.

    1. `user` must be allowed to import into `region` (None: the command, run by the system's
       operator, who names the region).
    2. Each row runs `services.address_add` in its own transaction (a savepoint in a dry run): a
       refused row writes nothing, the others are kept. A row whose address the grid already has is
       "exists" (with the row that added it, when it is in the same file).
    3. A dry run runs every row inside one transaction it rolls back at the end: nothing is written,
       and a row repeating an earlier row of the file is seen as such.
    """
    if user is not None:
        access.check_import(user, region)
    grids: dict[str, Place | None] = {}
    first_row: dict[int, int] = {}
    if commit:
        return [_one(row, region=region, user=user, grids=grids, first_row=first_row) for row in rows]
    with transaction.atomic():
        results = [_one(row, region=region, user=user, grids=grids, first_row=first_row) for row in rows]
        transaction.set_rollback(True)
    return results


def _one(
    row: AddressRow,
    *,
    region: Place,
    user: User | None,
    grids: dict[str, Place | None],
    first_row: dict[int, int],
) -> RowResult:
    try:
        grid = _grid_of(row, region, grids)
        with transaction.atomic():
            address = _add(row, grid, user)
    except _RowError as exc:
        return RowResult(row.number, "failed", message=str(exc))
    except PermissionDenied as exc:
        return RowResult(row.number, "failed", message=exc.message)
    except ApplicationError as exc:
        other_id = exc.extra.get("address_id") if exc.code == "duplicate" else None
        if other_id is not None:
            return RowResult(
                row.number,
                "exists",
                text=str(exc.extra.get("text", "")),
                address_id=other_id,
                same_as_row=first_row.get(other_id),
            )
        return RowResult(row.number, "failed", message=error_text(exc))
    first_row.setdefault(address.pk, row.number)
    return RowResult(row.number, "created", text=address.text, address_id=address.pk)


def outcome_counts(results: Iterable[RowResult]) -> dict[str, int]:
    counts = {"created": 0, "exists": 0, "failed": 0}
    for result in results:
        counts[result.outcome] += 1
    return counts


def template_workbook() -> bytes:
    """Return the template workbook: the headers, two example rows, and a sheet explaining the columns."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "标准地址"
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(("329981001001001", "解放路", "88", "", "", "", "解放路88号院；老邮局", "", "", ""))
    sheet.append(("329981001001001", "", "", "幸福家园", "3", "2", "", "120.705", "31.605", ""))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHIJ", (18, 14, 10, 14, 8, 8, 24, 12, 12, 30), strict=True):
        sheet.column_dimensions[column].width = width
    notes = book.create_sheet("说明 Notes")
    notes.append((_("Workbook column"), _("What to write")))
    for name, text in (
        ("网格编码 grid", _("The 15-digit code of the grid; may be left out when the point is given.")),
        ("道路 road", _("Road, street or lane (路名, 街路巷).")),
        ("门牌号 number", _("The number on the road (门牌号).")),
        ("小区 compound", _("The residential compound (小区).")),
        ("楼栋 building", _("Building (幢, 栋).")),
        ("单元 unit", _("Unit (单元).")),
        ("别名 aliases", _("Other names and former names, separated by ；, ;, 、 or |.")),
        ("经度 lon, 纬度 lat", _("The point in WGS-84, optional; it must lie in the grid.")),
        ("标准地址 address", _("A whole address, instead of the parts.")),
    ):
        notes.append((name, text))
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 70
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Uploads kept between the check and the commit (the upload page), as the 12345 import keeps them

UPLOADS = tables.KeptUploads("civicgrid-address-uploads")
upload_keep, upload_path, upload_drop = UPLOADS.keep, UPLOADS.path, UPLOADS.drop
