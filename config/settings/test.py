"""Test settings: the base, with fast hashing, a throw-away key and media in a temp dir."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env

SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker process started by a queue test is pointed at the test's media via the environment.
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default="") or tempfile.mkdtemp(prefix="nm-test-media-"))
# Tests that enqueue but are not queue tests must not need a broker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
if CELERY_BROKER_URL.startswith("memory://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Counters in this process only; API throttles off, so that no test meets a 429 by chance
# (tests/datasets/test_login_limits.py turns them on with override_settings).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
