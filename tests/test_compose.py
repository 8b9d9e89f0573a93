"""The deployment files agree with the code: compose services, Dockerfile, documented variables.

No Docker engine is needed: the files are parsed, not run.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
# Read by gunicorn itself, not by the settings.
NOT_SETTINGS = {"WEB_CONCURRENCY"}
ENV_CALL = re.compile(r"env_\w+\(\s*\"([A-Z][A-Z0-9_]*)\"")
SETDEFAULT = re.compile(r"os\.environ\.setdefault\(\s*\"([A-Z][A-Z0-9_]*)\"")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def settings_variables() -> set[str]:
    source = (ROOT / "messpace" / "settings" / "__init__.py").read_text(encoding="utf-8")
    return set(ENV_CALL.findall(source))


def test_compose_runs_web_worker_beat_postgres_redis_and_clamav(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis", "clamav"}
    assert compose["services"]["postgres"]["image"].split(":")[1].startswith("16")
    assert compose["services"]["redis"]["image"].split(":")[1].startswith("7")


def test_application_services_share_one_build_of_the_dockerfile(compose: dict[str, Any]) -> None:
    builds = [compose["services"][name]["build"] for name in APP_SERVICES]
    images = {compose["services"][name]["image"] for name in APP_SERVICES}
    assert all(build == {"context": ".", "dockerfile": "Dockerfile"} for build in builds)
    assert len(images) == 1
    assert (ROOT / builds[0]["context"] / builds[0]["dockerfile"]).is_file()


def test_application_services_share_their_environment(compose: dict[str, Any]) -> None:
    environments = [compose["services"][name]["environment"] for name in APP_SERVICES]
    assert environments[0] == environments[1] == environments[2]
    env = environments[0]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    # Secrets are never written in the file: compose refuses to start without them.
    for secret in ("SECRET_KEY", "MESSPACE_MASTER_KEYS", "MESSPACE_SEARCH_INDEX_KEY"):
        assert env[secret].startswith("${" + secret + ":?")
    # Production refuses to start without a malware scanner.
    assert env["MESSPACE_CLAMAV_HOST"] == "clamav"


def test_compose_sets_only_variables_the_settings_read(compose: dict[str, Any]) -> None:
    env = compose["services"]["web"]["environment"]
    assert set(env) - NOT_SETTINGS <= settings_variables()


def test_application_services_wait_for_healthy_database_and_broker(
    compose: dict[str, Any],
) -> None:
    for name in APP_SERVICES:
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["clamav"]["condition"] == "service_healthy"
    for name in ("postgres", "redis", "clamav"):
        assert compose["services"][name]["healthcheck"]["test"]


def test_worker_consumes_every_queue_tasks_are_routed_to(compose: dict[str, Any]) -> None:
    argv = shlex.split(compose["services"]["worker"]["command"])
    assert argv[:4] == ["celery", "-A", "messpace", "worker"]
    queues = set(argv[argv.index("-Q") + 1].split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= queues
    assert queues == {"default", "ingest", "letters", "notify"}


def test_beat_and_web_commands(compose: dict[str, Any]) -> None:
    assert shlex.split(compose["services"]["beat"]["command"])[:4] == [
        "celery",
        "-A",
        "messpace",
        "beat",
    ]
    web = compose["services"]["web"]["command"]
    assert "manage.py migrate" in web
    assert "gunicorn messpace.wsgi:application" in web


def test_dockerfile_builds_a_non_root_gunicorn_image(dockerfile: str) -> None:
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN .*pip install (--no-deps )?\.", dockerfile, re.MULTILINE)
    assert "collectstatic" in dockerfile
    assert "libpango-1.0-0" in dockerfile  # WeasyPrint
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    cmd = re.findall(r"^CMD (.+)$", dockerfile, re.MULTILINE)[-1]
    assert "gunicorn" in cmd and "messpace.wsgi:application" in cmd


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".venv", "var", ".git"):
        assert entry in ignored


def test_configuration_doc_lists_every_environment_variable() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", doc))
    test_settings = (ROOT / "tests" / "settings.py").read_text(encoding="utf-8")
    read = settings_variables() | set(SETDEFAULT.findall(test_settings))
    assert read - documented == set()
