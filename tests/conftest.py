"""Shared fixtures. Real PostgreSQL and Redis where behaviour depends on them; under CI=true
an unreachable service fails the run instead of skipping."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

if TYPE_CHECKING:
    from tests.factories import RolesWorld

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI=true needs DATABASE_URL pointing at PostgreSQL.")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def require_service(kind: str) -> str:
    """The URL of a real service for this test; skip without it (fail under CI=true)."""
    if kind == "redis":
        url = os.environ.get("CELERY_BROKER_URL", "")
        ok = url.startswith("redis://") and _reachable(url, 6379)
    else:
        url = os.environ.get("DATABASE_URL", "")
        ok = url.startswith("postgres") and _reachable(url, 5432)
    if not ok:
        variable = "CELERY_BROKER_URL" if kind == "redis" else "DATABASE_URL"
        message = f"needs a reachable {kind} (set {variable})"
        if IN_CI:
            pytest.fail(f"CI: {message}")
        pytest.skip(message)
    return url


@pytest.fixture(autouse=True)
def _media_root(request: pytest.FixtureRequest, tmp_path: Path) -> Path | None:
    """Media in a temp dir per test (pure-Python tests may run without the Django plugin)."""
    if not request.config.pluginmanager.hasplugin("django"):
        return None
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def postgres() -> str:
    return require_service("postgres")


@pytest.fixture
def redis_url() -> str:
    return require_service("redis")


@pytest.fixture
def roles_world(db: Any) -> RolesWorld:
    """Project alpha with a member per role, an outsider in bravo, a video of 4 frames: see
    `tests.factories.RolesWorld`."""
    # Imported here: this conftest also serves the pure-Python tests, which need no Django.
    from tests.factories import make_roles_world

    return make_roles_world()
