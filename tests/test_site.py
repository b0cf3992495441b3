"""Site-wide behaviour: API docs offline, security headers, settings per environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent


def test_openapi_schema_lists_the_v1_api(db: Any) -> None:
    client = Client()
    client.force_login(make_user())
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/projects/", "/api/v1/patients/{id}/"} <= set(schema["paths"])


def test_api_docs_load_all_assets_from_this_server(db: Any) -> None:
    client = Client()
    client.force_login(make_user())
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "https://" not in page
    assert "http://" not in page
    assets = [part.split('"')[0] for part in page.split('src="')[1:]]
    assert assets, "the docs page loads its scripts"
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_every_page_has_an_enforcing_csp(db: Any) -> None:
    response = Client().get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "Content-Security-Policy-Report-Only" not in response
    assert response["X-Frame-Options"] == "DENY"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    env.update(extra)
    return env


def test_embedded_default_is_sqlite_wal_and_filesystem_broker(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); "
        "print(settings.DATABASES['default']['ENGINE'], c.fetchone()[0], "
        "settings.CELERY_BROKER_URL, settings.MEDIA_ROOT)"
    )
    result = _run(
        [sys.executable, "-c", code],
        _clean_env(NERVEMARK_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.base"),
    )
    assert result.returncode == 0, result.stderr
    engine, journal, broker, media = result.stdout.split()
    assert (engine, journal, broker) == ("django.db.backends.sqlite3", "wal", "filesystem://")
    assert Path(media) == tmp_path / "media"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="x" * 20 + "-prod-check-only-" + "y" * 30,
        DJANGO_ALLOWED_HOSTS="nervemark.example.org",
        NERVEMARK_VAR_DIR=str(tmp_path),
    )
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_ALLOWED_HOSTS="x.org",
        NERVEMARK_VAR_DIR=str(tmp_path),
    )
    env.pop("DJANGO_SECRET_KEY", None)
    result = _run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("module", ["config.settings.base", "config.settings.production"])
def test_celery_is_json_only_with_late_acks(module: str, tmp_path: Path) -> None:
    code = (
        "from config.celery import app; c = app.conf; import json; print(json.dumps(["
        "c.accept_content, c.task_serializer, c.task_acks_late, c.task_reject_on_worker_lost, "
        "c.worker_prefetch_multiplier, sorted(q.name for q in c.task_queues), "
        "c.broker_transport_options.get('visibility_timeout')]))"
    )
    env = _clean_env(
        DJANGO_SETTINGS_MODULE=module,
        DJANGO_SECRET_KEY="k" * 50,
        DJANGO_ALLOWED_HOSTS="x.org",
        NERVEMARK_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    result = _run([sys.executable, "-c", code], env)
    assert result.returncode == 0, result.stderr
    accept, serializer, acks_late, reject, prefetch, queues, visibility = json.loads(result.stdout)
    assert (accept, serializer) == (["json"], "json")
    assert (acks_late, reject, prefetch) == (True, True, 1)
    assert queues == ["cpu", "gpu"]
    assert visibility > 24 * 3600


def _compose_command() -> list[str] | None:
    import shutil

    if (
        shutil.which("docker")
        and _run(["docker", "compose", "version"], dict(os.environ)).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_file_is_accepted() -> None:
    compose = _compose_command()
    if compose is None:
        if os.environ.get("CI"):
            pytest.fail("CI: neither `docker compose` nor `docker-compose` is installed")
        pytest.skip("no docker compose client here")
    env = {**os.environ, "DJANGO_SECRET_KEY": "k" * 50}
    result = _run([*compose, "-f", "docker-compose.yml", "config"], env)
    assert result.returncode == 0, result.stderr
    for service in ("postgres", "redis", "web", "worker-cpu", "worker-gpu"):
        assert f"{service}:" in result.stdout
    assert "capabilities:" in result.stdout  # the GPU reservation survived parsing
