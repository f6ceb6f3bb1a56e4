"""Settings come from the environment; `.env.example` lists every variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import civicgrid.settings as s; print(s.DATABASES['default']['ENGINE'])"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_lists_every_setting_variable_in_env_example():
    source = (ROOT / "civicgrid" / "settings.py").read_text()
    used = set(re.findall(r'env(?:_bool|_int)?\("([A-Z_]+)"', source))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert used, "no env() calls found"
    assert used <= listed, f"missing from .env.example: {sorted(used - listed)}"


def test_it_requires_a_secret_key_unless_debug():
    refused = load_settings(DEBUG="False")
    assert refused.returncode != 0
    assert "SECRET_KEY is required" in refused.stderr
    assert load_settings(DEBUG="True").returncode == 0
    assert load_settings(SECRET_KEY="x" * 50).returncode == 0


def test_it_refuses_a_boolean_that_is_not_true_or_false():
    result = load_settings(DEBUG="yes")
    assert result.returncode != 0
    assert "DEBUG must be True or False" in result.stderr


def test_it_reads_postgresql_from_database_url():
    result = load_settings(DEBUG="True", DATABASE_URL="postgres://u@db.example:5432/civic")
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_it_reads_a_secret_from_a_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("k" * 50)
    assert load_settings(SECRET_KEY_FILE=str(secret)).returncode == 0


@pytest.mark.django_db
def test_it_runs_sqlite_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -32000
        cursor.execute("PRAGMA mmap_size")
        assert cursor.fetchone()[0] == 268435456


@pytest.mark.django_db
def test_it_turns_postgresql_jit_off():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def test_it_uses_redis_for_cache_and_tasks_when_redis_url_is_set():
    if not redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379 and CI=true")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='civicgrid.settings'; django.setup();"
        "from django.conf import settings; from django.core.cache import cache;"
        "cache.set('civicgrid-settings-test', 'ok', 5); print(cache.get('civicgrid-settings-test'),"
        "settings.TASKS['default']['BACKEND'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="True", REDIS_URL="redis://127.0.0.1:6379/15")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok", "django_tasks_rq.RQBackend"]


def test_it_refuses_both_email_tls_and_ssl():
    result = load_settings(DEBUG="True", EMAIL_USE_TLS="True", EMAIL_USE_SSL="True")
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive" in result.stderr
    assert load_settings(DEBUG="True", EMAIL_USE_TLS="False", EMAIL_USE_SSL="True").returncode == 0
