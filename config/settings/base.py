"""Settings shared by every environment, read from the environment (django-environ).

With no environment at all this is the embedded default: SQLite (WAL) under var/, Celery's
filesystem broker under var/, media under var/media/. `production` and `test` override only
what differs.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("NERVEMARK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key(var_dir: Path) -> str:
    """A per-installation key kept under var/ (never a key shipped in the code)."""
    path = var_dir / "secret_key"
    if not path.exists():
        try:  # created 0600 from the start: never readable by others, not even briefly
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or _local_secret_key(VAR_DIR)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "datasets",
    "annotator",
    "datasets.versions",
    "mlbackend",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "frontend.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "frontend.middleware.PatientDataCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.capabilities",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "nervemark.sqlite3"
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE takes the
                # write lock at BEGIN so two writers wait instead of failing with "locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout backend first: it refuses a locked username or address before any password check.
AUTHENTICATION_BACKENDS = [
    "datasets.services.login_limits.LoginLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Media is never served from a public URL: frames and videos go through permission-checked
# views. MEDIA_URL exists only because Django wants one.
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-public/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- security headers (also on in development; production adds HTTPS-only settings) ---------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the editor's fetch() reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = env(
    "NERVEMARK_CSP",
    default=(
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request then gets 401 with `WWW-Authenticate: Token`.
        "datasets.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Per client address (anonymous) and per user; 429 with Retry-After. A rate of None: off.
    "DEFAULT_THROTTLE_CLASSES": [
        "datasets.services.login_limits.AnonThrottle",
        "datasets.services.login_limits.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("NERVEMARK_API_ANON_RATE", default="60/min"),
        "user": env("NERVEMARK_API_USER_RATE", default="2000/min"),
    },
    "NUM_PROXIES": 0,  # the address is the peer's, as in the audit: X-Forwarded-For is not trusted
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NerveMark API",
    "DESCRIPTION": (
        "Surgical video to patient-split segmentation datasets and retrained nerve models. "
        "Authenticate with a session (browser) or `Authorization: Token <key>` "
        "(`manage.py create_api_token <username>`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "AnnotationStatusEnum": "annotator.models.AnnotationStatus",
        "AnnotationSourceEnum": "annotator.models.AnnotationSource",
        # What a client may say it saved from (the annotation write and stroke bodies).
        "SavedFromEnum": [("manual", "manual"), ("model", "model"), ("propagated", "propagated")],
        "JobStatusEnum": "datasets.models.JobStatus",
        "VideoStatusEnum": "datasets.models.VideoStatus",
        "UploadStatusEnum": "datasets.models.UploadStatus",
    },
}

# --- Celery ---------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(BROKER_DIR / "control"),  # kombu's default is ./control
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    # Above the longest job: an unacked message is redelivered after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=48 * 3600),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the app's own tables
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ROUTES = {"mlbackend.tasks.*": {"queue": "gpu"}}
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=23 * 3600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=24 * 3600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Chunk size offered to browser uploads (a client may ask for 64 KiB .. 64 MiB).
NERVEMARK_UPLOAD_CHUNK_BYTES = env.int("NERVEMARK_UPLOAD_CHUNK_BYTES", default=8 * 1024 * 1024)
# A running job with no heartbeat for this long is taken over by a redelivered task.
NERVEMARK_JOB_STALE_S = env.int("NERVEMARK_JOB_STALE_S", default=300)
# Training: per-job scratch folders (datasets, checkpoints) on the worker's local disk, kept
# until the job ends so a redelivered task resumes from the last checkpoint.
NERVEMARK_WORK_DIR = Path(env("NERVEMARK_WORK_DIR", default=str(VAR_DIR / "work")))
# torch threads for one training/evaluation task; 0: the worker's cores / its concurrency.
NERVEMARK_TORCH_THREADS = env.int("NERVEMARK_TORCH_THREADS", default=0)
# GPUs one training job uses (> 1: the worker launches torchrun with that many processes).
NERVEMARK_GPUS_PER_JOB = env.int("NERVEMARK_GPUS_PER_JOB", default=1)
# Seconds between writes of progress to the job row (cancel is checked every step).
NERVEMARK_TRAIN_PROGRESS_S = env.float("NERVEMARK_TRAIN_PROGRESS_S", default=2.0)
# API tokens older than this many days are refused (0: tokens never expire).
NERVEMARK_TOKEN_TTL_DAYS = env.int("NERVEMARK_TOKEN_TTL_DAYS", default=0)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- cache: failed sign-in counters and API throttles ------------------------------------------
# Every web process must see the same counts: Redis when the broker is Redis (docker-compose)
# or NERVEMARK_CACHE_URL names a cache; else files under var/cache (the embedded server's two
# gunicorn workers share them). Never `cache.clear()` here: on the broker's Redis database that
# would also empty the Celery queue.
_CACHE_URL = env("NERVEMARK_CACHE_URL", default="") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
CACHES = {
    "default": (
        {**env.cache_url_config(_CACHE_URL), "KEY_PREFIX": "nervemark"}
        if _CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}
# Sign-in lockout (datasets.services.login_limits): this many failures for one username, or
# from one client address across usernames (0: no limit), lock it for the cool-off.
NERVEMARK_LOGIN_FAILURE_LIMIT = env.int("NERVEMARK_LOGIN_FAILURE_LIMIT", default=10)
NERVEMARK_LOGIN_IP_FAILURE_LIMIT = env.int("NERVEMARK_LOGIN_IP_FAILURE_LIMIT", default=50)
NERVEMARK_LOGIN_COOLOFF_S = env.int("NERVEMARK_LOGIN_COOLOFF_S", default=15 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
