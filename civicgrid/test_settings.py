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
