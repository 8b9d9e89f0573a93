"""The demo's directory: the sample extract of the national directory, imported
through the same services as an operator's upload, once. The import runs in
this process, inside the demo's transaction; the task its start queues finds
it done and returns."""

from __future__ import annotations

from pathlib import Path

import messpace.directory
from messpace.directory import services
from messpace.directory.models import DirectoryImport, DirectoryImportState

SAMPLE_EXTRACT = (
    Path(messpace.directory.__file__).parent
    / "fixtures"
    / "PS_LibreAcces_Personne_activite_exemple.txt"
)


def seed_directory() -> None:
    """Queue the sample's import unless one is done or under way; the care team's
    RPPS numbers are in it, so their listings carry their places of practice."""
    if DirectoryImport.objects.filter(
        filename=SAMPLE_EXTRACT.name,
        state__in=[
            DirectoryImportState.QUEUED,
            DirectoryImportState.RUNNING,
            DirectoryImportState.DONE,
        ],
    ).exists():
        return
    with SAMPLE_EXTRACT.open("rb") as stream:
        directory_import = services.directory_import_start(
            by=None, filename=SAMPLE_EXTRACT.name, stream=stream, full_extract=False
        )
    services.directory_import_run(import_id=directory_import.pk)
