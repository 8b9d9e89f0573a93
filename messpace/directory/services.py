"""Writes to the directory: importing the national extract, and each professional's listing.

Two steps, as for the cohorts. :func:`directory_import_start` checks the file's
header while the admin waits, stores the file and queues the work; a refused
file leaves nothing. :func:`directory_import_run` (a Celery task) then reads
it chunk by chunk (``MESSPACE_DIRECTORY_CHUNK_ROWS`` lines), each chunk in
one transaction with the progress counters, so an interrupted import
resumes after its last committed chunk. A chunk is a handful of bulk
statements whatever its size: the professionals and structures it names are
read in one query each, then each table is written in one set-based
statement (``INSERT … SELECT`` from the chunk's rows sent as one JSON
parameter, with ``ON CONFLICT`` where a row may exist), without a model
instance per line: at two million lines, Django's per-object work cost more
than the database's. The chunk's commit does not wait for its WAL flush
(``synchronous_commit = off``): a crash loses at most the last chunks, which
the resumed import does again.

Idempotent per RPPS: a professional is one ``accounts.Professional``, found
by RPPS, created without a login when new, updated when the extract says
otherwise (names, profession, specialty), left as is when nothing changed;
importing the same file again changes nothing. A full extract ends the
places of practice it no longer lists.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from messpace.accounts.models import Professional
from messpace.directory.extract import (
    ExtractLine,
    StructureLine,
    check_line,
    extract_lines,
    header_keys,
)
from messpace.directory.folding import fold, fold_cached
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
logger = logging.getLogger(__name__)

PROFESSIONAL_FIELDS = (
    "last_name",
    "first_name",
    "profession",
    "specialty",
    "profession_label",
    "specialty_label",
)
# The practice a new professional is shown with (their first structure); the
# import sets it on creation only.
PRACTICE_FIELDS = ("practice_name", "practice_address", "practice_postcode", "practice_city")
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


def directory_import_resume(*, import_id: int) -> bool:
    """Queue again an unfinished import whose message was lost; safe twice (a run
    skips the chunks another did). Returns whether there was anything to resume."""
    unfinished = DirectoryImport.objects.filter(
        pk=import_id, state__in=[DirectoryImportState.QUEUED, DirectoryImportState.RUNNING]
    ).exists()
    if unfinished:
        _enqueue(import_id)
    return unfinished


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
        try:
            while _run_chunk(import_id, _take(lines, size), keys):
                done += 1
                if max_chunks is not None and done >= max_chunks:
                    return
        except DatabaseError:
            logger.exception("Directory import %s failed", import_id)
            _fail(
                import_id,
                _(
                    "L’import s’est arrêté sur une erreur de la base de données après la "
                    "ligne %(line)s : les lignes précédentes sont importées ; relancez-le."
                )
                % {"line": _progress(import_id)},
            )
            return
    _finish(import_id)


def _progress(import_id: int) -> int:
    return int(
        DirectoryImport.objects.filter(pk=import_id).values_list("processed_rows", flat=True)[0]
    )


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
        _relaxed_commit()
        start = directory_import.processed_rows
        # Another run of the same import (a resumed one, say) may have done some of
        # these lines since this run read them: only the lines after its progress.
        chunk = [(number, cells) for number, cells in chunk if number - 1 > start]
        if not chunk:
            return True
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


def _relaxed_commit() -> None:
    """Let this transaction's commit return before its WAL is flushed (PostgreSQL),
    as the documents' ingestion does.

    A crash can lose only the last chunks committed, with their progress
    counters: the import then resumes before them and imports those lines
    again, which changes nothing (idempotent per RPPS). Nothing is ever
    half-written: the chunk is atomic either way.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


class _Person(NamedTuple):
    """What a listing is made of, for one professional."""

    pk: int
    rpps: str
    last_name: str
    first_name: str
    profession: str
    specialty: str
    profession_label: str
    specialty_label: str
    practice_city: str
    practice_postcode: str
    user_first_name: str = ""
    user_last_name: str = ""


# A place of practice as a listing shows it: (structure pk, name, city, postcode).
_Place = tuple[int, str, str, str]


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
    known = {
        rpps: (pk, tuple(values), city, postcode)
        for pk, rpps, city, postcode, *values in Professional.objects.filter(
            rpps__in=list(people)
        ).values_list("pk", "rpps", "practice_city", "practice_postcode", *PROFESSIONAL_FIELDS)
    }
    new_rows: list[list[Any]] = []
    changed_rows: list[list[Any]] = []
    for rpps, line in people.items():
        values = tuple(getattr(line, name) for name in PROFESSIONAL_FIELDS)
        professional = known.get(rpps)
        if professional is None:
            new_rows.append([rpps, *values, *_practice(line)])
        elif professional[1] != values:
            changed_rows.append([professional[0], *values])
    created = dict(
        (rpps, pk)
        for pk, rpps in _insert(
            Professional,
            ["rpps", *PROFESSIONAL_FIELDS, *PRACTICE_FIELDS],
            new_rows,
            unique=["rpps"],
            returning=["id", "rpps"],
        )
    )
    # Made meanwhile by someone else (an invitation, another import): found, not created.
    raced = [row[0] for row in new_rows if row[0] not in created]
    if raced:
        new_rows = [row for row in new_rows if row[0] in created]
        known.update(
            (rpps, (pk, tuple(values), city, postcode))
            for pk, rpps, city, postcode, *values in Professional.objects.filter(
                rpps__in=raced
            ).values_list("pk", "rpps", "practice_city", "practice_postcode", *PROFESSIONAL_FIELDS)
        )
    _update(Professional, list(PROFESSIONAL_FIELDS), changed_rows)
    counts.created, counts.updated = len(new_rows), len(changed_rows)
    counts.unchanged = len(valid) - counts.created - counts.updated
    ids = {rpps: professional[0] for rpps, professional in known.items()} | created

    structures = _structures(line.structure for line in valid if line.structure is not None)
    activities: dict[tuple[int, int], str] = {}
    for line in valid:
        if line.structure is not None:
            activities[(ids[line.rpps], structures[line.structure.technical_id][0])] = line.mode
    _insert(
        Activity,
        ["professional_id", "structure_id", "mode", "seen_in_id"],
        [
            [pro, structure, mode, directory_import.pk]
            for (pro, structure), mode in activities.items()
        ],
        unique=["professional_id", "structure_id"],
        update=["mode", "seen_in_id"],
    )

    # The listings of the chunk's professionals. Those it created have all their
    # places in it; the others may have places from earlier chunks or imports.
    persons = []
    for rpps, line in people.items():
        professional = known.get(rpps)
        if professional is None:
            city, postcode = (
                line.structure.city if line.structure else "",
                (line.structure.postcode[:5] if line.structure else ""),
            )
        else:
            city, postcode = professional[2], professional[3]
        persons.append(
            _Person(
                ids[rpps],
                rpps,
                line.last_name,
                line.first_name,
                line.profession,
                line.specialty,
                line.profession_label,
                line.specialty_label,
                practice_city=city,
                practice_postcode=postcode,
            )
        )
    places: dict[int, list[_Place]] = {pk: [] for pk in created.values()}
    by_pk = {pk: structure for pk, structure in structures.values()}
    for pro, structure_pk in activities:
        if pro in places:
            structure = by_pk[structure_pk]
            places[pro].append((structure_pk, structure.name, structure.city, structure.postcode))
    earlier = [pk for pk in ids.values() if pk not in places]
    places.update(_places(earlier))
    _write_listings(persons, places)
    DirectoryImportError.objects.bulk_create(errors, ignore_conflicts=True)
    return counts


def _practice(line: ExtractLine) -> tuple[str, str, str, str]:
    """The practice a new professional is shown with: their first structure."""
    structure = line.structure
    if structure is None:
        return ("", "", "", "")
    return (structure.name, structure.address, structure.postcode[:5], structure.city)


def _structures(lines: Iterable[StructureLine]) -> dict[str, tuple[int, StructureLine]]:
    """Technical id → (pk, what it now is), created or updated from the chunk's lines."""
    wanted = {line.technical_id: line for line in lines}
    existing = {
        technical_id: (pk, tuple(values))
        for pk, technical_id, *values in Structure.objects.filter(
            technical_id__in=list(wanted)
        ).values_list("pk", "technical_id", *STRUCTURE_FIELDS)
    }
    new_rows: list[list[Any]] = []
    changed_rows: list[list[Any]] = []
    for technical_id, line in wanted.items():
        values = tuple(getattr(line, name) for name in STRUCTURE_FIELDS)
        structure = existing.get(technical_id)
        if structure is None:
            new_rows.append([technical_id, *values])
        elif structure[1] != values:
            changed_rows.append([structure[0], *values])
    ids = {technical_id: structure[0] for technical_id, structure in existing.items()}
    ids.update(
        (technical_id, pk)
        for pk, technical_id in _insert(
            Structure,
            ["technical_id", *STRUCTURE_FIELDS],
            new_rows,
            unique=["technical_id"],
            returning=["id", "technical_id"],
        )
    )
    missing = [technical_id for technical_id in wanted if technical_id not in ids]
    if missing:  # made meanwhile by another import
        ids.update(
            Structure.objects.filter(technical_id__in=missing).values_list("technical_id", "pk")
        )
    _update(Structure, list(STRUCTURE_FIELDS), changed_rows, also={"updated_at": timezone.now()})
    return {technical_id: (ids[technical_id], line) for technical_id, line in wanted.items()}


def _finish(import_id: int) -> None:
    with transaction.atomic():
        directory_import = DirectoryImport.objects.select_for_update().filter(pk=import_id).first()
        if directory_import is None or directory_import.state != DirectoryImportState.RUNNING:
            return
        if directory_import.full_extract:
            # Members an admin declared stay: the extract does not know them.
            ended = Activity.objects.exclude(seen_in=directory_import).filter(
                declared_at__isnull=True
            )
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
    _search_index_settle()


def _search_index_settle() -> None:
    """After an import, fold the search index's pending entries into it and refresh
    the planner's statistics of the listings (PostgreSQL).

    A GIN index takes bulk inserts into a pending list that every search reads
    through until a vacuum merges it, and the planner chooses the search's plan
    from statistics an import of millions of rows has just made stale:
    autovacuum would see to both, a minute or more later.
    """
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [SEARCH_INDEX])
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Listing._meta.db_table)}")
    except DatabaseError:
        # A runtime role that does not own the index may not: autovacuum will.
        logger.warning("Could not settle the directory's search index", exc_info=True)


# --- The search index -----------------------------------------------------------------------

SEARCH_INDEX = "directory_listing_search_gin"


def listings_refresh(*, professional_ids: Sequence[int]) -> int:
    """Write the listing of each of these professionals from what they are and where
    they practise; returns how many. Three queries for any number of them."""
    if not professional_ids:
        return 0
    persons = [
        _Person(*row)
        for row in Professional.objects.filter(pk__in=professional_ids).values_list(
            "pk",
            "rpps",
            *PROFESSIONAL_FIELDS,
            "practice_city",
            "practice_postcode",
            "user__first_name",
            "user__last_name",
        )
    ]
    _write_listings(persons, _places([person.pk for person in persons]))
    return len(persons)


def _places(professional_ids: Sequence[int]) -> dict[int, list[_Place]]:
    """Professional pk → their places of practice, in one query."""
    places: dict[int, list[_Place]] = {pk: [] for pk in professional_ids}
    if not professional_ids:
        return places
    for pro, *place in Activity.objects.filter(professional_id__in=professional_ids).values_list(
        "professional_id",
        "structure_id",
        "structure__name",
        "structure__city",
        "structure__postcode",
    ):
        places[pro].append(tuple(place))  # type: ignore[arg-type]
    return places


@lru_cache(maxsize=4096)
def _title(
    language: str | None, profession: str, specialty: str, label: str, specialty_label: str
) -> str:
    """The professional's title (``Professional.title``), for these values."""
    return Professional(
        profession=profession,
        specialty=specialty,
        profession_label=label,
        specialty_label=specialty_label,
    ).title


def _write_listings(persons: Sequence[_Person], places: dict[int, list[_Place]]) -> None:
    """Upsert the listings of these professionals; rows that would not change are
    left alone (a second import of the same file writes none)."""
    language = get_language()
    rows = []
    for person in persons:
        structures = sorted(places.get(person.pk, ()))
        first = structures[0] if structures else None
        city = first[2] if first else person.practice_city
        postcode = first[3] if first else person.practice_postcode
        title = _title(
            language,
            person.profession,
            person.specialty,
            person.profession_label,
            person.specialty_label,
        )
        name = person.last_name or f"{person.user_first_name} {person.user_last_name}".strip()
        parts = [
            name,
            person.first_name,
            title,
            person.profession_label,
            person.specialty_label,
            person.practice_city,
            person.practice_postcode,
        ]
        for _pk, structure_name, structure_city, structure_postcode in structures:
            parts += (structure_name, structure_city, structure_postcode)
        # Folded part by part (the towns, structures and labels repeat): the same
        # text as folding them joined, since folding maps every separator to one space.
        folded = " ".join(word for word in map(fold_cached, parts) if word)
        summary = " · ".join(part for part in (title, first[1] if first else "", city) if part)
        rows.append(
            [
                person.pk,
                f" {folded} ",
                summary[:255],
                city[:100],
                postcode[:10],
                fold(f"{person.last_name} {person.first_name}")[:300] or person.rpps,
            ]
        )
    _insert(
        Listing,
        ["professional_id", "search_text", "summary", "city", "postcode", "sort_name"],
        rows,
        unique=["professional_id"],
        update=["search_text", "summary", "city", "postcode", "sort_name"],
        only_if_changed=True,
    )


# --- Set-based statements -------------------------------------------------------------------


def _rows_source(fields: Sequence[models.Field[Any, Any]]) -> tuple[list[str], str]:
    """SQL for the values of ``fields`` read from a JSON array of rows (one
    parameter), and the FROM clause that reads it."""
    if connection.vendor == "postgresql":
        return (
            [f"(r->>{i})::{_cast_type(field)}" for i, field in enumerate(fields)],
            "FROM jsonb_array_elements(%s::jsonb) AS j(r)",
        )
    # SQLite (the embedded demo): its JSON functions.
    return [f"json_extract(value, '$[{i}]')" for i in range(len(fields))], "FROM json_each(%s)"


def _cast_type(field: models.Field[Any, Any]) -> str:
    # varchar(n) without its length: a value too long is refused, not cut.
    return str(field.db_type(connection)).split("(")[0]


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """A concrete field of ``model`` (the statements write columns, never relations'
    reverse sides)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):  # pragma: no cover - a programming error
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _json(rows: list[list[Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def _insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: list[list[Any]],
    *,
    unique: Sequence[str] = (),
    update: Sequence[str] = (),
    only_if_changed: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values of ``columns``, by attribute name) in one statement; the
    model's other fields take their defaults. With ``unique``, a row that exists
    (by those columns) gets the values of ``update`` instead (only when one
    differs, with ``only_if_changed``). Returns the ``returning`` columns of the
    rows written."""
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [_field(model, name) for name in columns]
    given = {field.column for field in fields}
    defaults = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.column not in given
    ]
    values, source = _rows_source(fields)
    postgresql = connection.vendor == "postgresql"
    for field in defaults:
        values.append(f"CAST(%s AS {_cast_type(field)})" if postgresql else "%s")
    table = quote(meta.db_table)
    names = ", ".join(quote(field.column) for field in [*fields, *defaults])
    # SQLite needs a WHERE before an upsert's ON CONFLICT, to parse it.
    sql = f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} {source} WHERE true"
    if unique:
        targets = ", ".join(quote(_field(model, name).column) for name in unique)
        updated = [quote(_field(model, name).column) for name in update]
        if updated:
            sets = ", ".join(f"{column} = EXCLUDED.{column}" for column in updated)
            sql += f" ON CONFLICT ({targets}) DO UPDATE SET {sets}"
            if only_if_changed:
                differs = "IS DISTINCT FROM" if postgresql else "IS NOT"
                sql += " WHERE " + " OR ".join(
                    f"{table}.{column} {differs} EXCLUDED.{column}" for column in updated
                )
        else:
            sql += f" ON CONFLICT ({targets}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(_field(model, name).column) for name in returning)
    constants = [field.get_db_prep_save(field.get_default(), connection) for field in defaults]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, _json(rows)])
        return list(cursor.fetchall()) if returning else []


def _update(
    model: type[models.Model],
    columns: Sequence[str],
    rows: list[list[Any]],
    *,
    also: dict[str, Any] | None = None,
) -> None:
    """Update, in one statement, the rows whose primary key starts each of ``rows``
    with the values that follow it (of ``columns``), and ``also``'s for all."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    if pk is None:  # pragma: no cover - every concrete model has one
        raise TypeError(f"{model} has no primary key")
    fields = [pk, *(_field(model, name) for name in columns)]
    values, source = _rows_source(fields)
    sets = [
        f"{quote(field.column)} = {value}"
        for field, value in zip(fields[1:], values[1:], strict=True)
    ]
    constants = []
    for name, value in (also or {}).items():
        field = _field(model, name)
        sets.append(f"{quote(field.column)} = %s")
        constants.append(field.get_db_prep_save(value, connection))
    table = quote(meta.db_table)
    # Only quoted identifiers of the model and placeholders: the values are parameters.
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} {source} "  # noqa: S608
        f"WHERE {table}.{quote(pk.column)} = {values[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, _json(rows)])
