"""Settings for bench/bench_scale.py only: the real settings plus a middleware that records each request's SQL.

Never imported by the application or its tests; gunicorn loads it with
DJANGO_SETTINGS_MODULE=bench.scale_settings and the repository root on its Python path.

`RecordSqlMiddleware` (outermost) runs only for requests that carry an `X-Bench-Id` header: it wraps the
database connection with `connection.execute_wrapper`, times every statement the request runs, appends
one JSON line per request to `$BENCH_SQL_LOG/<worker pid>.jsonl` (the id, the path, each statement with
its parameters and milliseconds) and answers with `X-Bench-Sql: <statements>;<milliseconds>`.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from civicgrid.settings import *  # noqa: F403  (the real configuration, unchanged but for what follows)
from civicgrid.settings import MIDDLEWARE

MIDDLEWARE = ["bench.scale_settings.RecordSqlMiddleware", *MIDDLEWARE]

# The bench signs in once per persona; it must never be locked out by its own retries.
LOGIN_MAX_FAILURES = 1000


def _plain(value: Any) -> Any:
    """Return a statement parameter as JSON can hold it (times as ISO text, which both databases cast)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


class RecordSqlMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.log_dir = Path(os.environ.get("BENCH_SQL_LOG", "var/bench/sql"))

    def __call__(self, request):
        bench_id = request.headers.get("X-Bench-Id")
        if not bench_id:
            return self.get_response(request)
        from django.db import connection

        statements: list[dict[str, Any]] = []

        def record(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                statements.append(
                    {
                        "sql": sql,
                        "params": None if many else _plain(list(params or ())),
                        "many": many,
                        "ms": (time.perf_counter() - started) * 1000,
                    }
                )

        started = time.perf_counter()
        with connection.execute_wrapper(record):
            response = self.get_response(request)
        total = (time.perf_counter() - started) * 1000
        sql_ms = sum(s["ms"] for s in statements)
        line = {
            "id": bench_id,
            "path": request.get_full_path(),
            "status": response.status_code,
            "ms": total,
            "statements": statements,
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(line, ensure_ascii=False) + "\n")
        response["X-Bench-Sql"] = f"{len(statements)};{sql_ms:.1f}"
        return response
