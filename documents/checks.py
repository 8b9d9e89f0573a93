"""System checks of the documents app.

``documents.E001`` is how production refuses to start without a malware
scanner. It is an untagged check, so it runs for every command that runs all
checks: ``check`` (with or without ``--deploy``), ``migrate`` (the web
container runs it before gunicorn) and ``runserver``. An Error there stops
the command with a non-zero status.

Why a check and not ``ImproperlyConfigured`` raised from the settings: the
settings module is also imported by the test suite (``tests/settings.py``, with
``DEBUG`` off and no scanner), by the test Celery worker and by the Docker
build's ``collectstatic``, none of which must need a clamd. Processes that run
no check (gunicorn, Celery) still never accept an unscanned document:
:func:`documents.scanning.scan_bytes` raises ``ScannerUnavailable`` in the same
configuration, so ingestion retries and then fails instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from documents.scanning import scanner_configured


def check_malware_scanner(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Error ``documents.E001`` when production has no scanner and was not told that is fine.

    Production means ``DEBUG`` off and a ``DATABASE_URL`` (embedded mode defaults
    the flag below to true). ``MESSPACE_ALLOW_NO_SCANNER=true`` is the
    explicit opt-out (documents then go in unscanned). No connection to clamd is
    attempted: it may legitimately start after the application.
    """
    if settings.DEV_MODE or scanner_configured() or settings.MESSPACE_ALLOW_NO_SCANNER:
        return []
    return [
        checks.Error(
            "No malware scanner is configured: uploaded documents cannot be scanned.",
            hint=(
                "Point MESSPACE_CLAMAV_SOCKET (unix socket), or MESSPACE_CLAMAV_HOST and "
                "MESSPACE_CLAMAV_PORT, at a running clamd; or set "
                "MESSPACE_ALLOW_NO_SCANNER=true to accept unscanned documents knowingly."
            ),
            id="documents.E001",
        )
    ]


def register() -> None:
    """Register this module's checks; call from ``DocumentsConfig.ready()``.

    Safe to call more than once: Django's registry holds a set.
    """
    checks.register(check_malware_scanner)
