"""Import coverage targets from a workbook (.xlsx or CSV): a dry run with a report per row, then the import.

Columns (Chinese or English headers): 名称 name, 类别 category (its Chinese or English name, or its
code), 区划代码 region code (a district, town or village), 统一社会信用代码 credit code, 人数 size,
起始日期 active from, 注销日期 active to. A row whose credit code is on record updates that target;
any other row adds one.

The import is all or nothing: every row runs in one transaction, each in its own savepoint so that
each gets its own report; if any row fails (or on the dry run) the whole transaction is rolled back,
so the dry run reports exactly what the import would do and a workbook is never half imported
(a second attempt after fixing the rows cannot add the good rows twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError
from civicgrid.lib import tables
from civicgrid.orgs import coverage
from civicgrid.orgs.models import Target, TargetCategory
from civicgrid.places.models import Place

HEADERS = {
    "名称": "name",
    "单位名称": "name",
    "name": "name",
    "类别": "category",
    "category": "category",
    "区划代码": "region",
    "行政区划代码": "region",
    "region code": "region",
    "region": "region",
    "统一社会信用代码": "credit_code",
    "信用代码": "credit_code",
    "credit code": "credit_code",
    "credit_code": "credit_code",
    "人数": "size",
    "妇女人数": "size",
    "职工人数": "size",
    "size": "size",
    "起始日期": "active_from",
    "成立日期": "active_from",
    "active from": "active_from",
    "active_from": "active_from",
    "注销日期": "active_to",
    "终止日期": "active_to",
    "active to": "active_to",
    "active_to": "active_to",
}
REQUIRED = ("name", "category", "region", "active_from")
# Category names as offices write them, besides the codes and the English labels.
CATEGORY_NAMES = {
    "企业": "enterprise",
    "非公企业": "enterprise",
    "社会组织": "social_org",
    "园区": "park",
    "产业园区": "park",
    "工业园区": "park",
    "商圈": "business_district",
    "商务楼宇": "building",
    "楼宇": "building",
    "新就业群体": "new_employment",
    "新业态": "new_employment",
}
MAX_ROWS = 5000


FileProblem = tables.FileProblem
# The headers as `tables.header_key` writes them ("region code" → "region_code").
_COLUMNS = {tables.header_key(name): field for name, field in HEADERS.items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


@dataclass
class RowResult:
    number: int
    name: str
    outcome: str  # "add", "update" or "failed"
    message: str = ""


def read_rows(raw: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    """Return (row number, values) of each non-blank row; FileProblem for a file that cannot be read."""
    read = tables.sheet(raw, filename, headers=_COLUMNS)
    if any(c not in read.fields for c in REQUIRED):
        raise FileProblem(
            _(
                "The header row must name the columns 名称 (name), 类别 (category), 区划代码 (region code) "
                "and 起始日期 (active from)."
            )
        )
    result = []
    for row in read.rows:
        result.append((row.number, {name: row.values.get(name) for name in read.fields}))
        if len(result) > MAX_ROWS:
            raise FileProblem(_("The workbook has more than %(cap)d rows; split it.") % {"cap": MAX_ROWS})
    if not result:
        raise FileProblem(_("The workbook has a header row but no targets."))
    return result


def _category(value: Any) -> str | None:
    text = _text(value)
    if text in TargetCategory.values:
        return text
    if text in CATEGORY_NAMES:
        return CATEGORY_NAMES[text]
    for code, label in TargetCategory.choices:
        if text.lower() == str(label).lower():
            return code
    return None


def _day(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        day = parse_date(text) if len(text) == 10 else None
        if day is None and text.count("-") == 2:
            y, m, d = (int(p) for p in text.split("-"))
            day = date(y, m, d)
    except ValueError:
        day = None
    if day is None:
        errors[field] = _("“%(value)s” is not a date (write it as 2025-03-08).") % {
            "value": _text(value)[:20]
        }
    return day


def _values(raw: dict[str, Any], places: dict[str, Place]) -> dict[str, Any]:
    """Turn a row's cells into the services' values; ApplicationError naming the bad cells."""
    errors: dict[str, str] = {}
    category = _category(raw.get("category"))
    if category is None:
        errors["category"] = _("Unknown category “%(value)s”.") % {"value": _text(raw.get("category"))[:20]}
    code = _text(raw.get("region"))
    region = places.get(code)
    if region is None:
        errors["region"] = _("No region has the code “%(code)s”.") % {"code": code[:20]}
    size_text = _text(raw.get("size"))
    size = None
    if size_text:
        if size_text.isdigit():
            size = int(size_text)
        else:
            errors["size"] = _("Enter a whole number, 0 or more.")
    values = {
        "name": _text(raw.get("name")),
        "category": category,
        "region": region,
        "credit_code": _text(raw.get("credit_code")).upper() or None,
        "size": size,
        "active_from": _day(raw.get("active_from"), "active_from", errors),
        "active_to": _day(raw.get("active_to"), "active_to", errors),
    }
    if errors:
        raise coverage.invalid(errors)
    return values


def import_targets(*, actor, rows: list[tuple[int, dict[str, Any]]], commit: bool) -> list[RowResult]:
    """Check (`commit=False`) or import the rows; return a result per row (see the module's docstring)."""
    codes = {_text(values.get("region")) for _n, values in rows}
    places = {
        p.code: p for p in Place.objects.filter(code__in=codes).select_related("parent__parent__parent")
    }
    credit_codes = {_text(values.get("credit_code")).upper() for _n, values in rows} - {""}
    existing = {t.credit_code: t for t in Target.objects.filter(credit_code__in=credit_codes)}
    results: list[RowResult] = []
    written: list[int] = []
    seen: set[str] = set()
    with transaction.atomic():
        for number, raw in rows:
            name = _text(raw.get("name"))[:150]
            try:
                with transaction.atomic():
                    values = _values(raw, places)
                    code = values["credit_code"]
                    if code and code in seen:
                        raise coverage.invalid({"credit_code": _("This credit code is on an earlier row.")})
                    if code and code in existing:
                        target = coverage._target_update(
                            actor=actor, target=existing[code], changes=values, audited=False, refreshed=False
                        )
                        outcome = "update"
                    else:
                        target = coverage._target_create(
                            actor=actor, values=values, audited=False, refreshed=False
                        )
                        outcome = "add"
            except ApplicationError as exc:
                fields = exc.extra.get("fields") or {}
                message = "; ".join(str(m) for m in fields.values()) or exc.message
                results.append(RowResult(number, name, "failed", message))
                continue
            if code:
                seen.add(code)
            written.append(target.pk)
            results.append(RowResult(number, name, outcome))
        failed = any(r.outcome == "failed" for r in results)
        if not commit or failed:
            transaction.set_rollback(True)
            return results
        coverage.refresh(written)
        audit.record(
            actor=actor,
            action="orgs.target_import",
            target=audit.Target("orgs.target", "", _("Import of %(n)s rows") % {"n": len(rows)}),
            changes={
                "rows": len(rows),
                "added": sum(r.outcome == "add" for r in results),
                "updated": sum(r.outcome == "update" for r in results),
            },
        )
    return results
