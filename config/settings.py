"""Settings for every environment, driven by environment variables (see README, "Configuration").

The embedded default needs no variable at all: SQLite and local files under ``DATA_DIR``, and a Celery
broker kept in files so that a real worker process runs without any server.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config import validators
from config.env import env_bool, env_checked, env_float, env_int, env_list, env_str

# Generic classes in class bases (``ModelAdmin[Space]``, ``ModelForm[...]``) must be subscriptable at run time, as
# they are for the type checker; django-stubs' companion package gives them a ``__class_getitem__`` that does
# nothing else.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        # One line that says what to set, for both kinds of reader: manage.py, gunicorn and Celery print it as is.
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false: in production set it to a long random "
            "value (python3 -c 'import secrets; print(secrets.token_urlsafe(50))'); for development run "
            "`make run` in the checkout, after which ./manage.py runs in development mode"
        )
    # Development only: a random key kept under DATA_DIR, so sessions survive a restart of `make run`.
    key_file = DATA_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "attachments",
    "connector",
    "desktop",
    "sharing",
    "doctemplates",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the others, so that an answer any of them makes (a redirect, an error page) gets the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "attachments.uploads.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout found during the request into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        # The project's own pages: Jinja2, from templates/ only (admin and DRF keep their Django templates).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "config.jinja2.environment"},
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web and worker) share the file: wait for locks instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by the web and worker processes of one machine, unlike the local-memory one.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (django-axes, config/lockout.py). After DJANGO_LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused for DJANGO_LOGIN_LOCKOUT_MINUTES after the last try; the login page says
# so. Unlock at once: `./manage.py axes_reset_username NAME`. Username and address together: by username
# alone anyone could lock a colleague out from everywhere with a few wrong passwords; by address alone one attacker
# behind a shared NAT or proxy would lock out everybody there. The price: guesses spread over many addresses are
# limited per address. Axes checks every authenticate() call (this login page and the admin's); the API takes
# tokens and sessions, never a password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a successful login forgets the typos before it
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# Too Many Requests, axes' own default: named here because config.lockout answers with it too.
AXES_HTTP_RESPONSE_CODE = 429
# Only failed attempts are kept: a row per successful login would grow without end and nothing reads it.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner from every process at start; failures and lockouts are still logged
# The connection's address (REMOTE_ADDR); behind the reverse proxy the one it saw (DJANGO_BEHIND_PROXY, below).
AXES_CLIENT_IP_CALLABLE: str | None = None

LANGUAGE_CODE = "en"
# Each language in its own name, as the user menu lists them; every one but English has a catalogue under locale/
# (the Makefile's MESSAGE_LANGUAGES) and a region for the editor (connector/editor.py).
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switcher (set_language) remembers the choice in this cookie for a year, also across logins.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start until collectstatic has made it
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


def _s3_storage() -> dict[str, object]:
    """Uploaded files in an S3-compatible bucket (django-storages), configured only from the environment."""
    from boto3.s3.transfer import TransferConfig  # only with S3: no boto3 import for files on disk

    bucket = env_str("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME")
    addressing = env_str("AWS_S3_ADDRESSING_STYLE", "auto")
    if addressing not in {"auto", "path", "virtual"}:
        raise ImproperlyConfigured(f"AWS_S3_ADDRESSING_STYLE={addressing!r} is not one of auto, path, virtual")
    uploads = TransferConfig(max_concurrency=4)
    uploads.max_in_memory_upload_chunks = 4  # s3transfer reads it; boto3's TransferConfig takes no such argument
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),
            "region_name": env_str("AWS_S3_REGION_NAME"),
            # Unset: boto3 looks further (its own AWS_* variables, an instance role).
            "access_key": env_str("AWS_S3_ACCESS_KEY_ID"),
            "secret_key": env_str("AWS_S3_SECRET_ACCESS_KEY"),
            "addressing_style": addressing,
            "location": env_str("AWS_LOCATION", ""),
            # Versions are immutable: a name already taken gets a new one, as on the file system.
            "file_overwrite": False,
            "default_acl": None,  # private objects; every file goes through our permission checks
            "querystring_auth": True,
            "custom_domain": None,  # a public domain would bypass the signed, expiring URLs
            "signature_version": "s3v4",
            # A file opened for reading is fetched whole before its first byte is read: into memory without a
            # limit (django-storages' default of 0), into a temporary file past this. Downloads stream from the
            # bucket instead (attachments/storage.py: open_stream); this bounds every other reader.
            "max_memory_size": 1024 * 1024,
            # An upload from a stream (a DS save, a WebDAV PUT) holds up to this many 8 MB parts in memory; boto3's
            # 10, and 10 threads, kept a 200 MB save's worker ~220 MB above the disk storage's (docs/performance.md).
            "transfer_config": uploads,
        },
    }


# `filesystem` (default) keeps files under DATA_DIR/media; `s3` (or just a bucket name) uses object storage.
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "s3" if env_str("AWS_STORAGE_BUCKET_NAME") else "filesystem")
if STORAGE_BACKEND == "s3":
    STORAGES["default"] = _s3_storage()
elif STORAGE_BACKEND != "filesystem":
    raise ImproperlyConfigured(f"STORAGE_BACKEND={STORAGE_BACKEND!r} is not one of filesystem, s3")
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# Largest file a user may upload, in bytes (default 100 MB). Bigger uploads are refused with a clear error.
ATTACHMENTS_MAX_UPLOAD_SIZE = env_int("ATTACHMENTS_MAX_UPLOAD_SIZE", 100 * 1024 * 1024, minimum=1)
# Behind nginx/Apache, let the proxy send version files (attachments/downloads.py): off | x-accel-redirect | x-sendfile.
ATTACHMENTS_SENDFILE = (env_str("ATTACHMENTS_SENDFILE") or "off").lower()
if ATTACHMENTS_SENDFILE not in {"off", "x-accel-redirect", "x-sendfile"}:
    raise ImproperlyConfigured("ATTACHMENTS_SENDFILE must be off, x-accel-redirect or x-sendfile")
# x-accel-redirect: the nginx `internal` location that maps to the media folder.
ATTACHMENTS_SENDFILE_PREFIX = env_str("ATTACHMENTS_SENDFILE_PREFIX", "/protected-media/")
# Days a deleted file stays in its space's trash before the sweep purges it (attachments/trash.py).
ATTACHMENTS_TRASH_DAYS = env_int("ATTACHMENTS_TRASH_DAYS", 30, minimum=1)

# Desktop editing over WebDAV (desktop/, docs/desktop-editing.md). A link from "Open in desktop app" opens the file
# for this many seconds; after that it works only while the lock taken through it is held and refreshed.
DESKTOP_LINK_SECONDS = env_int("DESKTOP_LINK_SECONDS", 600, minimum=30)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes DRF answer 401 (not 403) to anonymous requests.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Attachments and ONLYOFFICE connector API",
    "DESCRIPTION": "Spaces, attachments and their versions. Session or token authentication.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from our own static files (drf-spectacular-sidecar), never from a CDN: /api/docs/
    # works offline, and its page stays within the CSP's 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery. Without REDIS_URL the broker is kept in files under DATA_DIR: no server is needed, and the
# worker is still a real, separate process.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote control) messages; kombu would otherwise write them to the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# The sweep (connector/sweep.py) re-enqueues saves stuck by a lost message or a dead worker; one beat only.
# The sessions sweep asks the DS about sessions no callback has touched for 10 minutes (connector/forgotten.py).
# "Download as" files live a day (connector/conversion.py): hourly keeps each at most an hour past that.
CELERY_BEAT_SCHEDULE = {
    "connector-sweep": {"task": "connector.sweep", "schedule": 60.0},
    "connector-sessions-sweep": {"task": "connector.sessions_sweep", "schedule": 60.0},
    "connector-conversion-files-sweep": {"task": "connector.conversion_files_sweep", "schedule": 3600.0},
    "desktop-locks-sweep": {"task": "desktop.locks_sweep", "schedule": 300.0},
    "attachments-trash-sweep": {"task": "attachments.trash_sweep", "schedule": 3600.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# The save task's first retry waits about this long, then twice as long each time (with jitter).
CONNECTOR_SAVE_RETRY_BASE_SECONDS = env_float("CONNECTOR_SAVE_RETRY_BASE_SECONDS", 2.0, minimum=0.0)
# Make a first-page thumbnail of each new Office or PDF version (connector/thumbnails.py) through the Document Server.
CONNECTOR_THUMBNAILS = env_bool("CONNECTOR_THUMBNAILS", True)
# A save still pending after this long lost its broker message: the sweep sends it again.
CONNECTOR_SWEEP_PENDING_SECONDS = env_int("CONNECTOR_SWEEP_PENDING_SECONDS", 300, minimum=1)
# The ONLYOFFICE settings a field left blank on the settings page falls back to (connector/ds_settings.py). Checked
# here by the page's own rules (config/validators.py), so a bad value stops every process at start-up rather
# than failing pages later. "" (None for TLS) means not set.
ONLYOFFICE_URL = env_checked("ONLYOFFICE_URL", validators.http_url)
ONLYOFFICE_INTERNAL_URL = env_checked("ONLYOFFICE_INTERNAL_URL", validators.http_url)
ONLYOFFICE_CONNECTOR_URL = env_checked("ONLYOFFICE_CONNECTOR_URL", validators.http_url)
ONLYOFFICE_JWT_SECRET = env_checked("ONLYOFFICE_JWT_SECRET", validators.jwt_secret)  # or ONLYOFFICE_JWT_SECRET_FILE
ONLYOFFICE_JWT_HEADER = env_checked("ONLYOFFICE_JWT_HEADER", validators.header_name)
ONLYOFFICE_VERIFY_TLS = env_bool("ONLYOFFICE_VERIFY_TLS", None)
# `presigned`: the DS's file downloads, once their link token and JWT pass, answer 302 to a presigned GET URL of the
# object, valid this many seconds, so that the bucket sends the bytes (connector/views/docserver.py, docs/deploy.md).
# People's downloads keep streaming. Only S3 can presign: with files on disk it is refused here, not ignored.
ONLYOFFICE_DOWNLOAD_REDIRECT = (env_str("ONLYOFFICE_DOWNLOAD_REDIRECT") or "off").lower()
if ONLYOFFICE_DOWNLOAD_REDIRECT not in {"off", "presigned"}:
    raise ImproperlyConfigured(
        f"ONLYOFFICE_DOWNLOAD_REDIRECT={ONLYOFFICE_DOWNLOAD_REDIRECT!r} is not one of off, presigned"
    )
if ONLYOFFICE_DOWNLOAD_REDIRECT == "presigned" and STORAGE_BACKEND != "s3":
    raise ImproperlyConfigured(
        "ONLYOFFICE_DOWNLOAD_REDIRECT=presigned needs STORAGE_BACKEND=s3: files on disk have no URL the Document "
        "Server could be sent to; unset it (the DS then downloads through the app)"
    )
# The DS follows the redirect at once; the margin is for the clocks of the app and of S3, which must agree to it.
ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS = env_int("ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS", 120, minimum=10)
if ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS > 3600:
    raise ImproperlyConfigured(
        f"ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS={ONLYOFFICE_DOWNLOAD_REDIRECT_SECONDS} must be at most 3600: "
        "the URL lets whoever holds it read the file until it expires"
    )

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "webmaster@localhost")
# A mail server that drops connections silently must not hold a request (a mention) or a worker for minutes.
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10, minimum=1)

# Security headers. Pages deny framing (X-Frame-Options here, frame-ancestors in the CSP below); nothing is framed.
X_FRAME_OPTIONS = "DENY"
# Every response's Content-Security-Policy (django-csp). Pages load only our own files: no inline script or
# style, no plugin, no <base>, forms post only here, nothing frames them. A page that needs more adds just that:
# the editor and the settings page the Document Server's origin (config.csp.csp_widen), the API docs data: images
# (config/api_urls.py). A response that sets its own header keeps it (files: `sandbox`, attachments/downloads.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# Never redirected to https: the Document Server's server-to-server calls on the internal network (Docker:
# http://web:8000) and the probes, which do not come through the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^onlyoffice/(download|callback|check-file|changes)/", r"^(healthz|readyz|metrics)$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Opt-in: preloading is hard to undo, so a deployment asks for it (check --deploy warns until it does).
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # Else every login would come from the proxy's address, and one attacker would lock a user out for all.
    AXES_CLIENT_IP_CALLABLE = "config.lockout.forwarded_client_ip"

# `json`: one JSON object per line (config/logging.py), for log collectors; `plain` for people.
LOG_FORMAT = env_str("DJANGO_LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT={LOG_FORMAT!r} is not one of plain, json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    # Desktop links carry their token in the URL's path (desktop/links.py): it never reaches a log line.
    "filters": {"redact_dav_tokens": {"()": "config.logging.RedactDavTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact_dav_tokens"]}
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # At DEBUG urllib3 logs every URL with its query: the DS's signed file links and our link tokens.
        "urllib3": {"level": "INFO"},
        # At DEBUG botocore logs the canonical query and the signature of every presigned URL it makes, which
        # together are the URL: with ONLYOFFICE_DOWNLOAD_REDIRECT a working link to the file.
        "botocore": {"level": "INFO"},
    },
}

# Prometheus metrics at /metrics (connector/metrics.py): off unless enabled. When enabled, restrict them to
# addresses (IPs or networks) and/or basic auth; with neither, anyone who reaches /metrics may read them.
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {_network!r} is not an IP address or network") from _exc
METRICS_BASIC_AUTH_USER = env_str("METRICS_BASIC_AUTH_USER")
METRICS_BASIC_AUTH_PASSWORD = env_str("METRICS_BASIC_AUTH_PASSWORD")
if bool(METRICS_BASIC_AUTH_USER) != bool(METRICS_BASIC_AUTH_PASSWORD):
    raise ImproperlyConfigured("set both METRICS_BASIC_AUTH_USER and METRICS_BASIC_AUTH_PASSWORD, or neither")
