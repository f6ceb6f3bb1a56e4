"""Hand-written SQL for the notification statements intake runs on every report (bench/bench_intake.py).

Compiling an ORM query costs more than running these indexed statements, and intake is the path that
must keep up with a burst of reports. Each statement is plain SQL that SQLite and PostgreSQL both run;
table and column names come from the models, values are always parameters. Everything else uses the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from civicgrid.accounts.models import RoleAssignment, User
from civicgrid.cases.models import Notification

# Notification rows per INSERT (SQLite allows 32,766 parameters in one statement).
NOTIFY_BATCH = 500


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def role_holders(roles: Sequence[str], place_id: int) -> list[int]:
    """Return the active users with an active assignment of one of the roles at the place."""
    marks = ", ".join(["%s"] * len(roles))
    sql = (
        f"SELECT DISTINCT ra.user_id FROM {_table(RoleAssignment)} ra "  # noqa: S608
        f"JOIN {_table(User)} u ON u.id = ra.user_id "
        f"WHERE ra.place_id = %s AND ra.is_active = %s AND u.is_active = %s AND ra.role IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [place_id, True, True, *roles])
        return sorted(row[0] for row in cursor.fetchall())


def _notification_values(params: dict[str, Any], at: datetime) -> tuple[Any, Any]:
    field = Notification._meta.get_field("params")
    return field.get_db_prep_save(params, connection=connection), connection.ops.adapt_datetimefield_value(at)


def notifications_insert(
    *,
    user_ids: Sequence[int],
    case_id: int,
    kind: str,
    text: str,
    message: str,
    params: dict[str, Any],
    at: datetime,
) -> None:
    """Insert one unread notification per user, all in one statement (per NOTIFY_BATCH users)."""
    stored_params, created_at = _notification_values(params, at)
    insert = f"INSERT INTO {_table(Notification)} (user_id, case_id, kind, text, message, params, created_at) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(user_ids), NOTIFY_BATCH):
            batch = user_ids[start : start + NOTIFY_BATCH]
            values: list[Any] = []
            for uid in batch:
                values += [uid, case_id, kind, text, message, stored_params, created_at]
            cursor.execute(insert + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch)), values)


def notify_role_holders(
    *,
    roles: Sequence[str],
    place_id: int,
    case_id: int,
    kind: str,
    text: str,
    message: str,
    params: dict[str, Any],
    at: datetime,
    exclude: int | None = None,
) -> int:
    """Insert one unread notification for each of `role_holders(roles, place_id)` but `exclude`, in one
    INSERT … SELECT; return how many."""
    stored_params, created_at = _notification_values(params, at)
    marks = ", ".join(["%s"] * len(roles))
    sql = (
        f"INSERT INTO {_table(Notification)} (user_id, case_id, kind, text, message, params, created_at) "  # noqa: S608
        f"SELECT DISTINCT ra.user_id, %s, %s, %s, %s, %s, %s FROM {_table(RoleAssignment)} ra "
        f"JOIN {_table(User)} u ON u.id = ra.user_id "
        f"WHERE ra.place_id = %s AND ra.is_active = %s AND u.is_active = %s AND ra.role IN ({marks}) "
        "AND ra.user_id <> %s"
    )
    values = [case_id, kind, text, message, stored_params, created_at, place_id, True, True, *roles]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, exclude if exclude is not None else 0])
        return cursor.rowcount
