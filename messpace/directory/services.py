"""Writes to the directory: importing the national extract, and each professional's listing.

Two steps, as for the cohorts. :func:`directory_import_start` checks the file's
header while the admin waits, stores the file and queues the work; a refused
file leaves nothing. :func:`directory_import_run` (a Celery task) then reads
it chunk by chunk (``MESSPACE_DIRECTORY_CHUNK_ROWS`` lines), each chunk in
one transaction with the progress counters, so an interrupted import
resumes after its last committed chunk. A chunk is a handful of bulk
queries whatever its size: the professionals, structures, activities and
listings it names are read in one query each and written with bulk inserts
and updates.

Idempotent per RPPS: a professional is one ``accounts.Professional``, found
by RPPS, created without a login when new, updated when the extract says
otherwise (names, profession, specialty), left as is when nothing changed;
importing the same file again changes nothing. A full extract ends the
places of practice it no longer lists.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from messpace.accounts.models import Professional
from messpace.directory.extract import ExtractLine, check_line, extract_lines, header_keys
from messpace.directory.folding import fold
from messpace.directory.models import (
    Activity,
    DirectoryImport,
    DirectoryImportError,
    DirectoryImportState,
    Listing,
    Structure,
)

if TYPE_CHECKING:
    from messpace.accounts.models import User

log = logging.getLogger(__name__)

# Professional fields an extract line sets.
PROFESSIONAL_FIELDS = (
    "last_name",
    "first_name",
    "profession",
    "specialty",
    "profession_label",
    "specialty_label",
)
STRUCTURE_FIELDS = (
    "kind",
    "name",
    "siret",
    "finess",
    "sector_label",
    "address",
    "postcode",
    "city",
    "phone",
)


def chunk_rows() -> int:
    """Lines per transaction (``MESSPACE_DIRECTORY_CHUNK_ROWS``)."""
    return int(settings.MESSPACE_DIRECTORY_CHUNK_ROWS)


# --- Starting an import ---------------------------------------------------------------------


def directory_import_start(
    *, by: User | None, filename: str, stream: IO[bytes], full_extract: bool = True
) -> DirectoryImport:
    """Check an extract's header, store the file and queue its import.

    Raises ``ValidationError`` (French) and stores nothing for an empty file
    or one whose header lacks a required column. The file is copied to the
    storage as it is read (the national extract weighs several hundred MB),
    counting its lines on the way.
    """
    first = stream.readline()
    if not first.strip():
        raise ValidationError(_("Le fichier est vide."), code="empty")
    try:
        header = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("La ligne d’en-tête n’est pas en UTF-8 : ce n’est pas une extraction de l’annuaire."),
            code="encoding",
        ) from exc
    header_keys(header)
    stream.seek(0)
    name = default_storage.save(f"directory/{uuid.uuid4()}.txt", File(stream))
    try:
        size = lines = 0
        last = b"\n"
        with default_storage.open(name, "rb") as stored:
            while block := stored.read(1 << 20):
                size += len(block)
                lines += block.count(b"\n")
                last = block[-1:]
        if last != b"\n":
            lines += 1  # a last line without its line break
        with transaction.atomic():
            directory_import = DirectoryImport.objects.create(
                by=by,
                filename=(filename or "annuaire.txt")[-150:],
                file=name,
                size=size,
                full_extract=full_extract,
                total_rows=max(0, lines - 1),
            )
            transaction.on_commit(lambda: _enqueue(directory_import.pk))
    except BaseException:
        default_storage.delete(name)
        raise
    return directory_import


def _enqueue(import_id: int) -> None:
    from messpace.directory import tasks

    tasks.directory_import_run.delay(import_id)


# --- Running it -----------------------------------------------------------------------------


def directory_import_run(*, import_id: int, max_chunks: int | None = None) -> None:
    """Import the lines of a queued (or interrupted) extract; safe to run twice.

    Claimed with a conditional UPDATE (queued → running); a running import
    resumes after ``processed_rows``, each chunk under a lock on the import
    row, so that two runs never handle a line twice. With ``max_chunks``, stops
    (still running) after that many chunks, as a worker stopped there would.
    Ends done (the file deleted; for a full extract, the places of practice
    it did not list ended) or failed when the stored file cannot be read.
    """
    DirectoryImport.objects.filter(pk=import_id, state=DirectoryImportState.QUEUED).update(
        state=DirectoryImportState.RUNNING, started_at=timezone.now()
    )
    directory_import = DirectoryImport.objects.filter(pk=import_id).first()
    if directory_import is None or directory_import.state != DirectoryImportState.RUNNING:
        return
    try:
        stream = default_storage.open(directory_import.file, "rb")
    except OSError:
        _fail(import_id, _("Le fichier importé ne peut plus être lu : déposez-le à nouveau."))
        return
    with stream:
        keys = header_keys(stream.readline().decode("utf-8-sig"))
        stream.seek(0)
        lines = extract_lines(stream, start=directory_import.processed_rows)
        done = 0
        size = chunk_rows()
        while _run_chunk(import_id, _take(lines, size), keys):
            done += 1
            if max_chunks is not None and done >= max_chunks:
                return
    _finish(import_id)


def _take(lines: Iterable[tuple[int, list[str]]], size: int) -> list[tuple[int, list[str]]]:
    taken = []
    for item in lines:
        taken.append(item)
        if len(taken) >= size:
            break
    return taken


def _fail(import_id: int, reason: str) -> None:
    DirectoryImport.objects.filter(pk=import_id, state=DirectoryImportState.RUNNING).update(
        state=DirectoryImportState.FAILED, failure=reason, finished_at=timezone.now()
    )


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0


def _run_chunk(import_id: int, chunk: list[tuple[int, list[str]]], keys: dict[str, int]) -> bool:
    """Import one chunk of lines; False when there is nothing left (or the import stopped)."""
    with transaction.atomic():
        directory_import = DirectoryImport.objects.select_for_update().filter(pk=import_id).first()
        if directory_import is None or directory_import.state != DirectoryImportState.RUNNING:
            return False
        if not chunk:
            return False
        start = directory_import.processed_rows
        checked = [check_line(number, cells, keys) for number, cells in chunk]
        for line, (_number, cells) in zip(checked, chunk, strict=True):
            if not cells:
                line.errors = [_("Ligne illisible : elle n’est pas en UTF-8.")]
        counts = _import_lines(directory_import, checked)
        # The chunk covers the file's lines up to its last one (blank lines included);
        # line numbers count the header, processed rows do not.
        processed = min(max(start, chunk[-1][0] - 1), directory_import.total_rows)
        DirectoryImport.objects.filter(pk=import_id).update(
            processed_rows=processed,
            created_count=F("created_count") + counts.created,
            updated_count=F("updated_count") + counts.updated,
            unchanged_count=F("unchanged_count") + counts.unchanged,
            error_count=F("error_count") + counts.errors,
        )
    return True


def _import_lines(directory_import: DirectoryImport, lines: Sequence[ExtractLine]) -> _Counts:
    counts = _Counts()
    errors = [
        DirectoryImportError(
            directory_import=directory_import,
            line=line.line,
            identifier=line.rpps[:20],
            message=" ; ".join(line.errors)[:2000],
        )
        for line in lines
        if line.errors
    ]
    counts.errors = len(errors)
    valid = [line for line in lines if not line.errors]
    # One professional per RPPS: the chunk's first line says who they are.
    people: dict[str, ExtractLine] = {}
    for line in valid:
        people.setdefault(line.rpps, line)
    existing = {p.rpps: p for p in Professional.objects.filter(rpps__in=list(people))}
    new: list[Professional] = []
    changed: list[Professional] = []
    for rpps, line in people.items():
        professional = existing.get(rpps)
        values = {name: getattr(line, name) for name in PROFESSIONAL_FIELDS}
        if professional is None:
            new.append(Professional(rpps=rpps, user=None, **values, **_practice(line)))
            continue
        if any(getattr(professional, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(professional, name, value)
            changed.append(professional)
    Professional.objects.bulk_create(new)
    if changed:
        Professional.objects.bulk_update(changed, list(PROFESSIONAL_FIELDS))
    counts.created, counts.updated = len(new), len(changed)
    counts.unchanged = len(valid) - counts.created - counts.updated
    by_rpps = {p.rpps: p for p in [*existing.values(), *new]}

    structures = _structures(line.structure for line in valid if line.structure is not None)
    activities = {
        (by_rpps[line.rpps].pk, structures[line.structure.technical_id].pk): line.mode
        for line in valid
        if line.structure is not None
    }
    Activity.objects.bulk_create(
        [
            Activity(
                professional_id=pro, structure_id=structure, mode=mode, seen_in=directory_import
            )
            for (pro, structure), mode in activities.items()
        ],
        update_conflicts=True,
        unique_fields=["professional", "structure"],
        update_fields=["mode", "seen_in"],
    )
    listings_refresh(professional_ids=[p.pk for p in by_rpps.values()])
    DirectoryImportError.objects.bulk_create(errors, ignore_conflicts=True)
    return counts


def _practice(line: ExtractLine) -> dict[str, str]:
    """The practice a new professional is shown with: their first structure."""
    structure = line.structure
    if structure is None:
        return {}
    return {
        "practice_name": structure.name,
        "practice_address": structure.address,
        "practice_postcode": structure.postcode[:5],
        "practice_city": structure.city,
    }


def _structures(lines: Iterable[object]) -> dict[str, Structure]:
    """Technical id → structure, created or updated from the chunk's lines."""
    wanted = {line.technical_id: line for line in lines}  # type: ignore[attr-defined]
    existing = {s.technical_id: s for s in Structure.objects.filter(technical_id__in=list(wanted))}
    new: list[Structure] = []
    changed: list[Structure] = []
    now = timezone.now()
    for technical_id, line in wanted.items():
        values = {name: getattr(line, name) for name in STRUCTURE_FIELDS}
        structure = existing.get(technical_id)
        if structure is None:
            new.append(Structure(technical_id=technical_id, updated_at=now, **values))
        elif any(getattr(structure, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(structure, name, value)
            structure.updated_at = now
            changed.append(structure)
    Structure.objects.bulk_create(new)
    if changed:
        Structure.objects.bulk_update(changed, [*STRUCTURE_FIELDS, "updated_at"])
    return {**existing, **{s.technical_id: s for s in new}}


def _finish(import_id: int) -> None:
    with transaction.atomic():
        directory_import = DirectoryImport.objects.select_for_update().filter(pk=import_id).first()
        if directory_import is None or directory_import.state != DirectoryImportState.RUNNING:
            return
        if directory_import.full_extract:
            ended = Activity.objects.exclude(seen_in=directory_import)
            touched = list(ended.values_list("professional_id", flat=True).distinct())
            ended.delete()
            for start in range(0, len(touched), 5000):
                listings_refresh(professional_ids=touched[start : start + 5000])
        DirectoryImport.objects.filter(pk=import_id).update(
            state=DirectoryImportState.DONE,
            finished_at=timezone.now(),
            processed_rows=F("total_rows"),
            file="",
        )
        name = directory_import.file
        transaction.on_commit(lambda: default_storage.delete(name))


# --- The search index -----------------------------------------------------------------------


def listings_refresh(*, professional_ids: Sequence[int]) -> int:
    """Write the listing of each of these professionals from what they are and where
    they practise; returns how many. Three queries for any number of them."""
    if not professional_ids:
        return 0
    professionals = list(
        Professional.objects.filter(pk__in=professional_ids).select_related("user")
    )
    places: dict[int, list[Structure]] = {}
    for activity in Activity.objects.filter(professional_id__in=professional_ids).select_related(
        "structure"
    ):
        places.setdefault(activity.professional_id, []).append(activity.structure)
    listings = []
    for professional in professionals:
        structures = sorted(places.get(professional.pk, []), key=lambda s: s.pk)
        first = structures[0] if structures else None
        city = first.city if first else professional.practice_city
        postcode = first.postcode if first else professional.practice_postcode
        title = professional.title
        words = [
            professional.last_name or professional.full_name,
            professional.first_name,
            title,
            professional.profession_label,
            professional.specialty_label,
            professional.practice_city,
            professional.practice_postcode,
            *(f"{s.name} {s.city} {s.postcode}" for s in structures),
        ]
        summary = " · ".join(part for part in (title, first.name if first else "", city) if part)
        listings.append(
            Listing(
                professional=professional,
                search_text=" " + fold(" ".join(w for w in words if w)) + " ",
                summary=summary[:255],
                city=city[:100],
                postcode=postcode[:10],
                sort_name=fold(f"{professional.last_name} {professional.first_name}")[:300]
                or professional.rpps,
            )
        )
    Listing.objects.bulk_create(
        listings,
        update_conflicts=True,
        unique_fields=["professional"],
        update_fields=["search_text", "summary", "city", "postcode", "sort_name"],
    )
    return len(listings)
