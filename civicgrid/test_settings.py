"""Settings for the test suite: the real settings, with test defaults for what must be set.

`make test` runs the suite once on SQLite and once on PostgreSQL by setting DATABASE_URL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECURE_COOKIES", "False")

from civicgrid.settings import *  # noqa: F403
from civicgrid.settings import BASE_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
ROUTING_REFRESH_SECONDS = 0
# A test's own edits clear the category copy at once (and conftest clears it around each test); a
# revision check every few seconds would add a query to whichever request a slow run puts after it,
# so query-count tests stay exact. test_hot_path sets the interval where it checks reloading.
CATEGORY_CACHE_SECONDS = 3600
# Tests file many reports from one address; test_ratelimit turns the limits on where it checks them.
CASE_INTAKE_USER_PER_HOUR = 0
CASE_INTAKE_ANONYMOUS_PER_HOUR = 0

# One test database per run, so parallel runs (several developers, or CI beside a session) never
# drop each other's database. Django removes it at the end of the run.
_run = os.getpid()
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{_run}.sqlite3")}  # noqa: F405
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_civicgrid_{_run}"}  # noqa: F405
