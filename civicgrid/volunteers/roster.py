"""Import a team's roster from a workbook: a dry run with a report per row, then the commit.

Each row names a person (姓名, 手机号, 技能, 全国志愿者编号). The person's account is found by mobile
number or created (without a password: they sign in after setting one); they are registered as a
volunteer of the team's community if they are not one yet, and put on the roster. The dry run runs
the very code of the commit in a transaction it rolls back, so it reports what the commit would do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.services import PHONE_RE, user_create
from civicgrid.core import audit
from civicgrid.core.errors import ApplicationError
from civicgrid.lib import tables
from civicgrid.volunteers import access, services
from civicgrid.volunteers.models import Team, TeamMembership, Volunteer

HEADERS = {
    "姓名": "name",
    "name": "name",
    "手机号": "phone",
    "手机号码": "phone",
    "phone": "phone",
    "技能": "skills",
    "skills": "skills",
    "全国志愿者编号": "national_number",
    "national_number": "national_number",
}
MAX_ROWS = 500


FileProblem = tables.FileProblem
_COLUMNS = {tables.header_key(name): field for name, field in HEADERS.items()}


@dataclass
class RowResult:
    number: int
    name: str
    outcome: str  # "added", "exists" or "failed"
    message: str = ""
    volunteer_number: str = ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(raw: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """Return (row number, values) of each non-blank data row; FileProblem for an unreadable file."""
    read = tables.sheet(raw, filename, headers=_COLUMNS)
    if "name" not in read.fields or "phone" not in read.fields:
        raise FileProblem(_("The header row must name the columns 姓名 (name) and 手机号 (phone)."))
    result = []
    for row in read.rows:
        result.append((row.number, {name: _text(row.values.get(name)) for name in read.fields}))
        if len(result) > MAX_ROWS:
            raise FileProblem(_("The workbook has more than %(cap)d rows; split it.") % {"cap": MAX_ROWS})
    if not result:
        raise FileProblem(_("The workbook has a header row but no people."))
    return result


def _import_row(team: Team, actor, values: dict[str, str]) -> tuple[str, Volunteer]:
    name, phone = values.get("name", ""), values.get("phone", "")
    errors = {}
    if not name:
        errors["name"] = _("A name is required.")
    if not PHONE_RE.match(phone):
        errors["phone"] = _("“%(phone)s” is not a mobile number.") % {"phone": phone[:20]}
    if errors:
        raise services.invalid(errors)
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = user_create(username=f"v{phone}", password=None, display_name=name, phone=phone)
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is None:
        volunteer = services.volunteer_register(
            user=user,
            community=team.community,
            real_name=name,
            skills=values.get("skills", ""),
            national_number=values.get("national_number", ""),
        )
    membership = TeamMembership.objects.filter(team=team, volunteer=volunteer, is_active=True).first()
    if membership is not None:
        return "exists", volunteer
    services.team_member_add(actor=actor, team=team, volunteer=volunteer)
    return "added", volunteer


def import_roster(
    *, team: Team, actor, rows: list[tuple[int, dict[str, str]]], commit: bool
) -> list[RowResult]:
    """Check (`commit=False`) or import each row on its own; return a result per row."""
    access.check_manage_team(actor, team)
    results = []
    for number, values in rows:
        try:
            with transaction.atomic():
                outcome, volunteer = _import_row(team, actor, values)
                if not commit:
                    transaction.set_rollback(True)
        except ApplicationError as exc:
            fields = exc.extra.get("fields") or {}
            message = "; ".join(str(m) for m in fields.values()) or exc.message
            results.append(RowResult(number, values.get("name", ""), "failed", message))
            continue
        results.append(
            RowResult(
                number, values.get("name", ""), outcome, volunteer_number=volunteer.number if commit else ""
            )
        )
    if commit:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="volunteers.roster_import",
                target=team,
                place_code=team.community.code,
                changes={"rows": len(rows), "added": sum(r.outcome == "added" for r in results)},
            )
    return results
