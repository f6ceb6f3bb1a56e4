"""CivicGrid settings, read from the environment (`.env.example` lists every variable)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from .env into os.environ, never overriding what is already set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_dotenv(BASE_DIR / ".env")


def env(name: str, default: str | None = None) -> str | None:
    """Return NAME, or the contents of the file NAME_FILE names (for secrets), or the default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")
    return value == "True"


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG=True (see .env.example)")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o.strip()]

INSTALLED_APPS = [
    "civicgrid.accounts.apps.CivicGridAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "civicgrid.core",
    "civicgrid.accounts",
    "civicgrid.places",
    "civicgrid.addresses",
    "civicgrid.cases",
    "civicgrid.open311",
    "civicgrid.volunteers",
    "civicgrid.points",
    "civicgrid.orgs",
    "civicgrid.governance",
    "treebeard",
    "civicgrid.site",
]

MIDDLEWARE = [
    # Outermost, so every error under /api/ (from any layer below) leaves as the API's JSON.
    "civicgrid.core.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "civicgrid.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "civicgrid.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before CsrfViewMiddleware, whose process_view reads form bodies: the body limit comes first.
    "civicgrid.core.middleware.RequestGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "civicgrid.core.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "civicgrid.urls"
WSGI_APPLICATION = "civicgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civicgrid" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicgrid.site.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite (WAL) by default, PostgreSQL through DATABASE_URL.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'civicgrid.sqlite3'}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Django's SQLite backend plus a kernel writer lock (civicgrid/lib/sqlite3/base.py).
    _db["ENGINE"] = "civicgrid.lib.sqlite3"
    _db["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait on the busy
        # timeout instead of failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # A 32 MB page cache per connection and reads through mmap (256 MB of the file): a list that
        # reads a search's candidates (95,000 ids for 井盖 at 1M cases) keeps them in memory.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-32000; PRAGMA mmap_size=268435456;"
        ),
    }
    _db["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}
else:
    _db.setdefault("TEST", {})
    # Just-in-time compilation pays for long analytic queries, not for a page's: it added about
    # 100 ms to the plans of large lists (measured at 1,000,000 cases). A URL's own options win.
    _db.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["civicgrid.accounts.backends.UsernameOrPhoneBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "site:home"
LOGOUT_REDIRECT_URL = "site:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout: this many failures within the window locks the account/IP for the lockout.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "civicgrid" / "locale"]
TIME_ZONE = env("TIME_ZONE") or "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT") or BASE_DIR / "var" / "media")
WHITENOISE_USE_FINDERS = True

REDIS_URL = env("REDIS_URL") or ""
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    INSTALLED_APPS.append("django_tasks_rq")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Maps: a Leaflet tile URL template, e.g. https://tiles.example.org/{z}/{x}/{y}.png.
# Empty: grids are drawn on a plain background (deployments may have no internet), or 天地图's
# when MAP_TIANDITU_KEY is set (its vector map, and its labels above it).
MAP_TILE_URL = env("MAP_TILE_URL") or ""
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION") or ""
# A second tile layer drawn above the first: the place names of a map that sends them apart (天地图).
MAP_TILE_LABELS_URL = env("MAP_TILE_LABELS_URL") or ""
# The coordinate system the tiles are drawn in: wgs84 (OpenStreetMap, 天地图: CGCS2000 matches
# WGS-84 at map scale) or gcj02 (AMap/高德, Tencent/腾讯). With gcj02 every point and outline a
# map draws is shifted from the stored WGS-84 to GCJ-02 on the server (places.display).
MAP_TILE_CRS = (env("MAP_TILE_CRS") or "wgs84").lower()
if MAP_TILE_CRS not in ("wgs84", "gcj02"):
    raise ImproperlyConfigured(f"MAP_TILE_CRS must be wgs84 or gcj02, not {MAP_TILE_CRS!r}")
# 天地图 (tianditu.gov.cn): a browser key ("浏览器端") bound to the site's domain. With it and no
# MAP_TILE_URL, the maps draw 天地图's vector tiles (Web Mercator, "_w") and labels.
MAP_TIANDITU_KEY = env("MAP_TIANDITU_KEY") or ""
TIANDITU_TILE_URL = (
    "https://t0.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
if MAP_TIANDITU_KEY and not MAP_TILE_URL:
    MAP_TILE_URL = TIANDITU_TILE_URL.format(layer="vec", key=MAP_TIANDITU_KEY)
    MAP_TILE_LABELS_URL = MAP_TILE_LABELS_URL or TIANDITU_TILE_URL.format(layer="cva", key=MAP_TIANDITU_KEY)
    MAP_TILE_ATTRIBUTION = MAP_TILE_ATTRIBUTION or "© 天地图 (国家地理信息公共服务平台)"
# Seconds between checks whether grid boundaries changed in another process.
ROUTING_REFRESH_SECONDS = env_int("ROUTING_REFRESH_SECONDS", 2)
# Each process keeps the category list and checks the category revision at most this often (seconds;
# one indexed query), reloading when an edit moved it: an edit reaches every process within this time.
CATEGORY_CACHE_SECONDS = env_int("CATEGORY_CACHE_SECONDS", 5)
# A point farther than this from the bounding box of all grids is refused (usually a wrong crs or
# swapped lon/lat); nearer points outside every grid are kept and routed to the nearest village or town.
ROUTING_SERVICE_MARGIN_KM = env_int("ROUTING_SERVICE_MARGIN_KM", 30)
# A point outside every grid goes to the nearest grid's village within this distance, else its town.
ROUTING_VILLAGE_RADIUS_KM = env_int("ROUTING_VILLAGE_RADIUS_KM", 3)
# Overlap between sibling grids tolerated by the importer, in square metres.
PLACES_OVERLAP_TOLERANCE_M2 = env_int("PLACES_OVERLAP_TOLERANCE_M2", 50)
# Largest GeoJSON upload accepted on the import page, in bytes.
PLACES_UPLOAD_MAX_BYTES = env_int("PLACES_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Case handling: step windows (hours) outside the category's own deadlines.
CASE_VERIFY_HOURS = env_int("CASE_VERIFY_HOURS", 24)
CASE_DECIDE_HOURS = env_int("CASE_DECIDE_HOURS", 48)
CASE_DISPATCH_HOURS = env_int("CASE_DISPATCH_HOURS", 4)
CASE_CHECK_HOURS = env_int("CASE_CHECK_HOURS", 24)
CASE_DEFAULT_RESOLUTION_HOURS = env_int("CASE_DEFAULT_RESOLUTION_HOURS", 168)
# Days a resolved case waits for its rating before it closes itself.
CASE_RATING_DAYS = env_int("CASE_RATING_DAYS", 7)
# How often an unsatisfied rating may reopen a case.
CASE_MAX_REOPENS = env_int("CASE_MAX_REOPENS", 1)
# The sweep warns this many hours before a step deadline.
CASE_DUE_SOON_HOURS = env_int("CASE_DUE_SOON_HOURS", 4)
# Before sending, the report page offers open cases within this many metres and days of the same
# category or of similar words, to follow instead of reporting the same problem again.
CASE_SIMILAR_RADIUS_M = env_int("CASE_SIMILAR_RADIUS_M", 150)
CASE_SIMILAR_WINDOW_DAYS = env_int("CASE_SIMILAR_WINDOW_DAYS", 7)
# An extension granted to a day runs to this local time of that day (the end of the working day).
CASE_WORKDAY_END = env("CASE_WORKDAY_END") or "18:00"
# Reports per hour from one signed-in person, and from one client address without sign-in (0: no limit).
CASE_INTAKE_USER_PER_HOUR = env_int("CASE_INTAKE_USER_PER_HOUR", 60)
CASE_INTAKE_ANONYMOUS_PER_HOUR = env_int("CASE_INTAKE_ANONYMOUS_PER_HOUR", 20)
# Open311 client applications: the default of how many POSTs one API key may send per hour (each
# key keeps its own number, set when it is issued).
OPEN311_POSTS_PER_HOUR = env_int("OPEN311_POSTS_PER_HOUR", 120)
# Photos: largest file, largest pixel count, thumbnail size, most photos per report.
CASE_PHOTO_MAX_BYTES = env_int("CASE_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
CASE_PHOTO_MAX_PIXELS = env_int("CASE_PHOTO_MAX_PIXELS", 50_000_000)
CASE_PHOTO_THUMB_PX = env_int("CASE_PHOTO_THUMB_PX", 480)
CASE_PHOTO_MAX_COUNT = env_int("CASE_PHOTO_MAX_COUNT", 6)

# Open311 GeoReport v2 (/open311/v2/, docs/open311.md). The one jurisdiction served (clients may
# leave jurisdiction_id out; another one is "not found"), who to contact, where a client gets an
# api_key (a URL or how to ask), and whether the endpoint is "production" or "test".
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID") or "civicgrid.local"
OPEN311_CONTACT = env("OPEN311_CONTACT") or "Command centre administrator (指挥中心系统管理员)"
OPEN311_KEY_SERVICE = env("OPEN311_KEY_SERVICE") or ""
OPEN311_ENDPOINT_TYPE = env("OPEN311_ENDPOINT_TYPE") or "production"

# Email (healthchecks' way): the daily digest (`manage.py notices_digest`) is mailed only when
# EMAIL_HOST is set. The password may come from EMAIL_HOST_PASSWORD_FILE.
EMAIL_HOST = env("EMAIL_HOST") or ""
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one of them to False")
# Seconds before a mail server that does not answer is given up (the digest run goes on).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL") or "civicgrid@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's address as people open it, for links in emails (no trailing slash).
SITE_ROOT = env("SITE_ROOT") or "http://localhost:8000"

# Volunteers (civicgrid/volunteers/conf.py): how a check-in without a check-out is credited when the
# activity closes ("scheduled": to the activity's end; "none": 0 minutes, the leader corrects), how
# often the check-in QR code changes, and how long a scanned code may wait for the volunteer's OK.
VOLUNTEER_MISSING_CHECKOUT = env("VOLUNTEER_MISSING_CHECKOUT") or "scheduled"
VOLUNTEER_QR_STEP_SECONDS = env_int("VOLUNTEER_QR_STEP_SECONDS", 30)
VOLUNTEER_SCAN_CONFIRM_SECONDS = env_int("VOLUNTEER_SCAN_CONFIRM_SECONDS", 120)

# The grid forum (大家讲, governance): a topic with this many supporters goes onto the next planned
# meeting of its grid or village; topics one person may raise a day and replies an hour (0: no limit;
# the forum's moderators are not limited).
GOVERNANCE_FORUM_AGENDA_SUPPORT = env_int("GOVERNANCE_FORUM_AGENDA_SUPPORT", 10)
if GOVERNANCE_FORUM_AGENDA_SUPPORT < 1:
    raise ImproperlyConfigured("GOVERNANCE_FORUM_AGENDA_SUPPORT must be 1 or more")
GOVERNANCE_FORUM_TOPICS_PER_DAY = env_int("GOVERNANCE_FORUM_TOPICS_PER_DAY", 5)
GOVERNANCE_FORUM_REPLIES_PER_HOUR = env_int("GOVERNANCE_FORUM_REPLIES_PER_HOUR", 30)

# Excel exports of case lists: the most rows one export writes (a larger list is refused: narrow it).
CASE_EXPORT_MAX_ROWS = env_int("CASE_EXPORT_MAX_ROWS", 100_000)
# The largest 12345 workbook the upload page accepts.
HOTLINE_UPLOAD_MAX_BYTES = env_int("HOTLINE_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
# The most rows the upload page checks in one request (each row runs the whole intake); the command
# `import_hotline` takes larger files.
HOTLINE_UPLOAD_MAX_ROWS = env_int("HOTLINE_UPLOAD_MAX_ROWS", 2000)

# Request bodies: most requests (forms, JSON) may send this many bytes; larger ones get 413.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
# The views that accept uploads take more (by URL name; core.middleware.RequestGuardMiddleware).
# A report or action sent as JSON carries its photos in base64, 4/3 of their size.
CASE_UPLOAD_MAX_BYTES = CASE_PHOTO_MAX_COUNT * CASE_PHOTO_MAX_BYTES * 4 // 3 + REQUEST_MAX_BYTES
REQUEST_MAX_BYTES_BY_VIEW = {
    "places:import": PLACES_UPLOAD_MAX_BYTES + REQUEST_MAX_BYTES,
    "cases:hotline_import": HOTLINE_UPLOAD_MAX_BYTES + REQUEST_MAX_BYTES,
    "cases:report": CASE_UPLOAD_MAX_BYTES,
    "cases:act": CASE_UPLOAD_MAX_BYTES,
    "api:case_create": CASE_UPLOAD_MAX_BYTES,
    "api:case_action": CASE_UPLOAD_MAX_BYTES,
    "open311:requests": CASE_UPLOAD_MAX_BYTES,
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a proxy that ends TLS, the header it sets to say so, e.g. X-Forwarded-Proto (value https).
_proxy_ssl_header = env("SECURE_PROXY_SSL_HEADER") or ""
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
# HSTS: browsers keep to HTTPS this long once they saw the site over HTTPS (Django sends it on
# HTTPS answers only). On by default where cookies are secure and DEBUG is off.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if SESSION_COOKIE_SECURE and not DEBUG else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)


def _tile_source(url: str) -> str:
    """Return the CSP source of a Leaflet tile URL template: https://{s}.tile.example.org/… → https://*.tile.example.org."""
    if "://" not in url:
        return ""
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0]
    if "{" in host:
        labels = host.split(".")
        last_template = max(i for i, label in enumerate(labels) if "{" in label)
        host = ".".join(["*", *labels[last_template + 1 :]])
    return f"{scheme}://{host}"


# Content-Security-Policy (core.middleware.ContentSecurityPolicyMiddleware): pages run only this
# site's own scripts and styles (no inline ones); images may also be data: (icons) and blob: (photo
# previews before upload) and come from the map's tile host. Set to replace the whole policy.
CONTENT_SECURITY_POLICY = env("CONTENT_SECURITY_POLICY") or "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        " ".join(
            [
                "img-src 'self' data: blob:",
                *dict.fromkeys(filter(None, map(_tile_source, (MAP_TILE_URL, MAP_TILE_LABELS_URL)))),
            ]
        ).strip(),
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# True: send the policy as Content-Security-Policy-Report-Only, to try a changed one without breaking pages.
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "WARNING"},
}

# Standard addresses: a 12345 order's address routes to its grid by itself from this confidence
# (0..1) of the register's match up; below it the order waits in the region's unrouted queue.
ADDRESS_ROUTE_CONFIDENCE = float(os.environ.get("ADDRESS_ROUTE_CONFIDENCE", "0.85"))
