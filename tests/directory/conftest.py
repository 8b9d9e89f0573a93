"""Fixtures for the directory: the sample extract, imported through the real services."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase

from messpace.directory.models import DirectoryImport
from messpace.directory.services import directory_import_start

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "messpace/directory/fixtures/PS_LibreAcces_Personne_activite_exemple.txt"
)
Importer = Callable[..., DirectoryImport]


def sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def extract(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture
def run_import(media: Path) -> Importer:
    """Import these bytes (the sample by default) as a queued import the worker runs."""

    def run(content: bytes | None = None, **kwargs: Any) -> DirectoryImport:
        data = SAMPLE.read_bytes() if content is None else content
        with TestCase.captureOnCommitCallbacks(execute=True):
            started = directory_import_start(
                by=None, filename="annuaire.txt", stream=io.BytesIO(data), **kwargs
            )
        started.refresh_from_db()
        return started

    return run
