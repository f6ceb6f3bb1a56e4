"""Settings for bench/bench_intake.py only: the real settings plus the bare-insert baseline URL.

Never imported by the application or its tests; gunicorn loads it with
DJANGO_SETTINGS_MODULE=bench.intake_settings and the repository root on its Python path.
"""

import os

from civicgrid.settings import *  # noqa: F403  (the real configuration, unchanged but for what follows)
from civicgrid.settings import DATABASES

ROOT_URLCONF = "bench.intake_urls"

# An experiment of `bench_intake.py --sqlite-conn-max-age N`: the real settings close SQLite connections
# after every request; this measures what keeping them open would change.
if os.environ.get("BENCH_SQLITE_CONN_MAX_AGE") and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_SQLITE_CONN_MAX_AGE"])

# Thousands of anonymous reports a minute from one address is the point of the bench.
CASE_INTAKE_USER_PER_HOUR = 0
CASE_INTAKE_ANONYMOUS_PER_HOUR = 0
