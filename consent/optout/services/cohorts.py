"""Cohort imports: insured persons from a CSV file, into records in state ``created``.

Two steps. :func:`cohort_import_start` checks the file as a whole (size,
encoding, separator, header) while the admin waits, stores it encrypted and
queues the work; nothing is kept when the file is refused. :func:`cohort_import_run`
(a Celery task) then checks every line and creates the new persons, chunk by
chunk, each chunk in its own transaction with the progress counters, so an
interrupted import resumes after its last committed chunk and imports every
valid line exactly once.

The file is read by :mod:`messpace.csvfile`, the reader every operator import
shares. Reads for the admin pages are in :mod:`consent.optout.selectors`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consent.optout.models import (
    CohortImport,
    CohortImportError,
    CohortImportState,
    CohortMember,
    GuardianToInform,
)
from messpace import vault
from messpace.accounts.validators import normalize_nir, normalize_phone, validate_nir
from messpace.blobs import blob_delete, blob_get, blob_put
from messpace.csvfile import CsvRow, CsvText, csv_open, csv_rows
from messpace.csvfile import too_large_message as csvfile_too_large_message
from records.lifecycle.services import records_create
from records.models import (
    EARLIEST_DATE,
    MAJORITY_AGE,
    MARKUP_RE,
    Patient,
    Sex,
    latest_birth_date_for_age,
)
from records.services import FR_POSTCODE_RE, patient_create

if TYPE_CHECKING:
    from messpace.accounts.models import User

REQUIRED_COLUMNS = (
    "nir",
    "nom_naissance",
    "prenoms",
    "date_naissance",
    "sexe",
    "adresse1",
    "code_postal",
    "ville",
)
OPTIONAL_COLUMNS = (
    "nom_usage",
    "adresse2",
    "pays",
    "courriel",
    "telephone",
    "nir_representant_1",
    "nir_representant_2",
)
GUARDIAN_COLUMNS = ("nir_representant_1", "nir_representant_2")
# Column → (Patient field, longest value).
TEXT_COLUMNS = {
    "nom_naissance": ("birth_names", 150),
    "nom_usage": ("used_name", 150),
    "prenoms": ("given_names", 150),
    "adresse1": ("address_line1", 255),
    "adresse2": ("address_line2", 255),
    "code_postal": ("postcode", 10),
    "ville": ("city", 100),
}
# Patient field → column, to name the column in a message from the model's own checks.
FIELD_COLUMNS = {name: column for column, (name, _longest) in TEXT_COLUMNS.items()} | {
    "nir": "nir",
    "birth_date": "date_naissance",
    "sex": "sexe",
    "country": "pays",
    "email": "courriel",
    "phone": "telephone",
}
COUNTRY_NAMES = {"FRANCE": "FR"}
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
# Control characters go; runs of blanks (tabs, line breaks in quoted values) become one space.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BLANKS_RE = re.compile(r"\s+")
_FILENAME_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def max_bytes() -> int:
    """The largest file accepted (setting ``MESSPACE_COHORT_MAX_BYTES``, default 60 MB)."""
    return int(settings.MESSPACE_COHORT_MAX_BYTES)


def too_large_message(size: int | None = None) -> str:
    """The French refusal of a file over the limit, with its size when known."""
    return csvfile_too_large_message(max_bytes(), size)


def safe_filename(name: str) -> str:
    """The file's name without path or control characters, at most 150 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _FILENAME_CONTROL_RE.sub("", name).strip().lstrip(".")
    name = re.sub(r'[<>:"|?*;]', "_", name)
    return name[:150] or "import.csv"


def mask_nir(value: str) -> str:
    """The last four characters of a NIR, the rest hidden: ``…1234``."""
    compact = normalize_nir(value or "")
    return f"…{compact[-4:]}" if len(compact) >= 4 else ""


# --- The file as a whole -----------------------------------------------------------------------


def csv_read(content: bytes, *, check_size: bool = True) -> CsvText:
    """Decode ``content`` and check its header; raises ``ValidationError`` in French.

    The checks of :func:`messpace.csvfile.csv_open` (size unless ``check_size``
    is false, encoding, binary content, separator, a column named twice), then
    the required columns, all missing ones named at once.
    """
    parsed = csv_open(content, max_bytes=max_bytes() if check_size else None)
    missing = [name for name in REQUIRED_COLUMNS if name not in parsed.header]
    if missing:
        raise ValidationError(
            _(
                "Colonnes obligatoires absentes : %(missing)s. Aucune ligne n’a été importée. "
                "L’en-tête doit nommer au moins : %(required)s."
            )
            % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS)},
            code="missing_columns",
        )
    return parsed


def cohort_import_start(*, by: User, filename: str, content: bytes) -> CohortImport:
    """Check a CSV of insured persons as a whole, store it encrypted and queue its import.

    Raises ``ValidationError`` (French, precise) and stores nothing when the
    file is empty, larger than :func:`max_bytes`, not decodable, not a CSV, or
    lacks a required column. Line-level checks happen in the task. The import
    is queued once the transaction commits.
    """
    parsed = csv_read(content)
    total = sum(1 for _line in csv_rows(parsed))
    if not total:
        raise ValidationError(
            _("Le fichier ne contient que la ligne d’en-tête : aucune personne à importer."),
            code="no_rows",
        )
    public_id = uuid.uuid4()
    owner = f"cohort-import:{public_id}"
    key = vault.new_data_key(owner=owner)
    blob = blob_put(data_key=key.key, plaintext=parsed.text.encode("utf-8"), aad=f"{owner}:csv")
    try:
        with transaction.atomic():
            cohort_import = CohortImport.objects.create(
                public_id=public_id,
                by=by,
                filename=safe_filename(filename),
                encoding=parsed.encoding,
                size=len(content),
                total_rows=total,
                blob=blob,
                wrapped_key=key.wrapped,
                key_id=key.key_id,
            )
            transaction.on_commit(lambda: _enqueue(cohort_import.pk))
    except BaseException:
        blob_delete(blob)
        raise
    return cohort_import


def cohort_import_resume(*, import_id: int) -> bool:
    """Queue again an unfinished import whose message was lost (a worker killed
    before it committed). Safe twice: a run resumes after its last committed
    chunk, and a second run of the same import skips what the first did.
    Returns whether there was anything to resume."""
    unfinished = CohortImport.objects.filter(
        pk=import_id, state__in=[CohortImportState.QUEUED, CohortImportState.RUNNING]
    ).exists()
    if unfinished:
        _enqueue(import_id)
    return unfinished


def _enqueue(import_id: int) -> None:
    from consent.optout import tasks

    tasks.cohort_import_run.delay(import_id)


# --- Lines -------------------------------------------------------------------------------------


@dataclass
class CheckedLine:
    """A line after its checks: either ``errors`` or the patient's data and guardians."""

    line: int
    nir: str
    data: dict[str, Any] = field(default_factory=dict)
    guardians: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duplicate_of: int | None = None
    same_as_first: bool = True


def _column_error(column: str, message: str) -> str:
    return _("Colonne « %(column)s » : %(message)s") % {"column": column, "message": message}


def _parse_date(value: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None


def _nir_errors(column: str, value: str) -> tuple[str, list[str]]:
    nir = normalize_nir(value)
    try:
        validate_nir(nir)
    except ValidationError as exc:
        return nir, [_column_error(column, " ".join(str(m) for m in exc.messages))]
    return nir, []


def _nir_consistency(nir: str, birth_date: dt.date | None, sex: str) -> list[str]:
    """The sex, birth year and month a NIR encodes must match the line's.

    Digit 1 is the sex (1 man, 2 woman), digits 2-3 the year's last two
    digits, digits 4-5 the month; 20 and more (up to 99) stand for an unknown
    month and are not compared.
    """
    errors = []
    if sex in (Sex.MALE, Sex.FEMALE) and nir[0] != ("1" if sex == Sex.MALE else "2"):
        errors.append(
            _column_error(
                "nir",
                _("le premier chiffre (%(digit)s) ne correspond pas au sexe indiqué (%(sex)s).")
                % {"digit": nir[0], "sex": sex},
            )
        )
    if birth_date is not None:
        if int(nir[1:3]) != birth_date.year % 100:
            errors.append(
                _column_error(
                    "nir",
                    _(
                        "l’année de naissance codée (%(code)s) ne correspond pas à la date de "
                        "naissance (%(date)s)."
                    )
                    % {"code": nir[1:3], "date": birth_date.strftime("%d/%m/%Y")},
                )
            )
        month = int(nir[3:5])
        if 1 <= month <= 12 and month != birth_date.month:
            errors.append(
                _column_error(
                    "nir",
                    _(
                        "le mois de naissance codé (%(code)s) ne correspond pas à la date de "
                        "naissance (%(date)s)."
                    )
                    % {"code": nir[3:5], "date": birth_date.strftime("%d/%m/%Y")},
                )
            )
    return errors


def check_line(row: CsvRow, *, today: dt.date) -> CheckedLine:
    """Every rule of one line, all reported at once; no database access.

    The NIR (key, and consistency with sex and birth date), names without
    markup, a plausible birth date, a 5-digit postcode in France, email and
    phone formats, and for a minor the guardians' NIRs, valid and not the
    minor's own. Guardians given for an adult are ignored.
    """
    values = {
        name: _BLANKS_RE.sub(" ", _CONTROL_RE.sub("", value)).strip()
        for name, value in row.values.items()
    }
    checked = CheckedLine(line=row.line, nir=normalize_nir(values.get("nir", "")))
    errors = checked.errors
    if row.extra:
        errors.append(
            _("La ligne compte %(extra)d valeur(s) de plus que l’en-tête (séparateur en trop ?).")
            % {"extra": row.extra}
        )
    for column in REQUIRED_COLUMNS:
        if not values.get(column):
            errors.append(_column_error(column, _("valeur manquante.")))
    for column, value in values.items():
        if value and MARKUP_RE.search(value):
            errors.append(
                _column_error(column, _("les balises HTML ou le code ne sont pas acceptés."))
            )
    data: dict[str, Any] = {}
    for column, (name, longest) in TEXT_COLUMNS.items():
        value = values.get(column, "")
        if len(value) > longest:
            errors.append(
                _column_error(
                    column,
                    _("%(length)d caractères, au plus %(max)d sont acceptés.")
                    % {"length": len(value), "max": longest},
                )
            )
        data[name] = value

    nir_ok = False
    if values.get("nir"):
        checked.nir, nir_errors = _nir_errors("nir", values["nir"])
        errors.extend(nir_errors)
        nir_ok = not nir_errors

    birth_date = None
    if values.get("date_naissance"):
        birth_date = _parse_date(values["date_naissance"])
        if birth_date is None:
            errors.append(
                _column_error(
                    "date_naissance",
                    _("« %(value)s » n’est pas une date valide (attendu JJ/MM/AAAA ou AAAA-MM-JJ).")
                    % {"value": values["date_naissance"][:20]},
                )
            )
        elif birth_date > today:
            errors.append(
                _column_error("date_naissance", _("la date de naissance est dans le futur."))
            )
            birth_date = None
        elif birth_date < EARLIEST_DATE:
            errors.append(
                _column_error(
                    "date_naissance",
                    _("la date de naissance est trop ancienne pour être plausible."),
                )
            )
            birth_date = None

    sex = values.get("sexe", "").upper()
    if sex and sex not in (Sex.FEMALE, Sex.MALE):
        errors.append(
            _column_error(
                "sexe", _("« %(value)s » n’est pas reconnu (attendu F ou M).") % {"value": sex[:10]}
            )
        )
        sex = ""
    if nir_ok:
        errors.extend(_nir_consistency(checked.nir, birth_date, sex))

    country = values.get("pays", "").upper() or "FR"
    country = COUNTRY_NAMES.get(country, country)
    if not re.fullmatch(r"[A-Z]{2}", country):
        errors.append(_column_error("pays", _("attendu un code pays à deux lettres (FR, BE…).")))
    postcode = values.get("code_postal", "")
    if country == "FR" and postcode and not FR_POSTCODE_RE.fullmatch(postcode):
        errors.append(
            _column_error("code_postal", _("un code postal français comporte 5 chiffres."))
        )

    email = values.get("courriel", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(_column_error("courriel", _("adresse électronique non valide.")))
    phone = values.get("telephone", "")
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            errors.append(_column_error("telephone", " ".join(str(m) for m in exc.messages)))

    is_minor = birth_date is not None and birth_date > latest_birth_date_for_age(
        today, MAJORITY_AGE
    )
    if is_minor:
        for column in GUARDIAN_COLUMNS:
            if not values.get(column):
                continue
            guardian, guardian_errors = _nir_errors(column, values[column])
            if guardian_errors:
                errors.extend(guardian_errors)
            elif guardian == checked.nir:
                errors.append(_column_error(column, _("c’est le NIR de l’enfant lui-même.")))
            elif guardian in checked.guardians:
                errors.append(
                    _column_error(column, _("même NIR que le premier représentant légal."))
                )
            else:
                checked.guardians.append(guardian)

    if not errors:
        data.update(
            nir=checked.nir,
            birth_date=birth_date,
            sex=sex,
            country=country,
            email=email,
            phone=phone,
        )
        checked.data = data
    return checked


def _mark_duplicates(lines: list[CheckedLine]) -> None:
    """Mark each valid line whose NIR a previous valid line already gave."""
    first: dict[str, CheckedLine] = {}
    for checked in lines:
        if checked.errors:
            continue
        previous = first.get(checked.nir)
        if previous is None:
            first[checked.nir] = checked
        else:
            checked.duplicate_of = previous.line
            checked.same_as_first = checked.data == previous.data and (
                checked.guardians == previous.guardians
            )


def _duplicate_message(checked: CheckedLine) -> str:
    if checked.same_as_first:
        return _("Doublon de la ligne %(line)d : la personne n’est importée qu’une fois.") % {
            "line": checked.duplicate_of
        }
    return _(
        "Même NIR que la ligne %(line)d mais avec d’autres données : seule la ligne %(line)d "
        "est prise en compte, vérifiez laquelle est juste."
    ) % {"line": checked.duplicate_of}


# --- The task's work ---------------------------------------------------------------------------


def chunk_rows() -> int:
    """Lines per transaction: progress is committed, and a restart resumes, per chunk
    (setting ``MESSPACE_COHORT_CHUNK_ROWS``, 1,000 by default)."""
    return int(settings.MESSPACE_COHORT_CHUNK_ROWS)


def _read_csv(cohort_import: CohortImport) -> CsvText:
    key = vault.unwrap(
        wrapped=cohort_import.wrapped_key, key_id=cohort_import.key_id, owner=cohort_import.owner
    )
    content = blob_get(name=cohort_import.blob, data_key=key, aad=f"{cohort_import.owner}:csv")
    # Stored as UTF-8, which may weigh more than the file as it came: checked then.
    return csv_read(content, check_size=False)


def _fail(import_id: int, reason: str) -> None:
    CohortImport.objects.filter(pk=import_id, state=CohortImportState.RUNNING).update(
        state=CohortImportState.FAILED, failure=reason, finished_at=timezone.now()
    )


def cohort_import_run(*, import_id: int, max_chunks: int | None = None) -> None:
    """Import the lines of a queued (or interrupted) import; safe to run twice.

    The import is claimed with a conditional UPDATE (queued → running). A
    running import is resumed: each chunk of :func:`chunk_rows` lines is
    processed under a lock on the import row, from ``processed_rows`` on, and
    committed with the counters, so concurrent or repeated runs never handle a
    line twice. A person whose NIR is already known is counted unchanged and
    left as it is; a new one gets a patient and a record in state created.
    Invalid and duplicated lines are stored as errors. Ends done (the CSV is
    then deleted) or failed when the stored file cannot be read. Does nothing
    for an unknown, done or failed import. With ``max_chunks``, stops (still
    running) after that many chunks, as a worker stopped at that point would.
    """
    now = timezone.now()
    CohortImport.objects.filter(pk=import_id, state=CohortImportState.QUEUED).update(
        state=CohortImportState.RUNNING, started_at=now
    )
    cohort_import = CohortImport.objects.filter(pk=import_id).first()
    if cohort_import is None or cohort_import.state != CohortImportState.RUNNING:
        return
    with translation.override(settings.LANGUAGE_CODE):
        try:
            parsed = _read_csv(cohort_import)
            today = timezone.localdate()
            lines = [check_line(row, today=today) for row in csv_rows(parsed)]
        except (vault.VaultError, OSError, ValidationError) as exc:
            message = (
                " ".join(exc.messages)
                if isinstance(exc, ValidationError)
                else _("Le fichier importé ne peut plus être lu : déposez-le à nouveau.")
            )
            _fail(import_id, message)
            return
        _mark_duplicates(lines)
        done = 0
        while _run_chunk(import_id=import_id, lines=lines, size=chunk_rows()):
            done += 1
            if max_chunks is not None and done >= max_chunks:
                return
    with transaction.atomic():
        finished = CohortImport.objects.filter(
            pk=import_id, state=CohortImportState.RUNNING, processed_rows=F("total_rows")
        ).update(state=CohortImportState.DONE, finished_at=timezone.now(), blob="")
        if finished:
            # The persons are in the records now; the file itself is no longer needed.
            name = cohort_import.blob
            transaction.on_commit(lambda: blob_delete(name))


def _run_chunk(*, import_id: int, lines: list[CheckedLine], size: int) -> bool:
    """Process the next chunk; False when there is nothing left (or the import stopped)."""
    with transaction.atomic():
        cohort_import = CohortImport.objects.select_for_update().filter(pk=import_id).first()
        if cohort_import is None or cohort_import.state != CohortImportState.RUNNING:
            return False
        start = cohort_import.processed_rows
        if start >= len(lines):
            if cohort_import.total_rows != len(lines):
                # The count taken on upload and the stored file disagree: never loop.
                cohort_import.total_rows = len(lines)
                cohort_import.save(update_fields=["total_rows"])
            return False
        chunk = lines[start : start + size]
        counts = _import_lines(cohort_import, chunk)
        CohortImport.objects.filter(pk=import_id).update(
            processed_rows=start + len(chunk),
            created_count=F("created_count") + counts["created"],
            unchanged_count=F("unchanged_count") + counts["unchanged"],
            duplicate_count=F("duplicate_count") + counts["duplicate"],
            error_count=F("error_count") + counts["error"],
        )
    return True


def _import_lines(cohort_import: CohortImport, chunk: list[CheckedLine]) -> dict[str, int]:
    counts = {"created": 0, "unchanged": 0, "duplicate": 0, "error": 0}
    errors: list[CohortImportError] = []
    members: list[CohortMember] = []
    guardians: list[GuardianToInform] = []

    def reject(checked: CheckedLine, messages: list[str], kind: str = "error") -> None:
        counts[kind] += 1
        errors.append(
            CohortImportError(
                cohort_import=cohort_import,
                line=checked.line,
                nir_masked=mask_nir(checked.nir),
                message=" ; ".join(messages)[:4000],
            )
        )

    valid = [c for c in chunk if not c.errors and c.duplicate_of is None]
    known = _known_patients([c.nir for c in valid])
    outcomes = _create_patients([c for c in valid if c.nir not in known])
    for checked in chunk:
        if checked.errors:
            reject(checked, checked.errors)
            continue
        if checked.duplicate_of is not None:
            reject(checked, [_duplicate_message(checked)], kind="duplicate")
            continue
        patient_id = known.get(checked.nir)
        created = False
        if patient_id is None:
            patient_id, created, problems = outcomes[checked.line]
            if problems:
                reject(checked, problems)
                continue
        counts["created" if created else "unchanged"] += 1
        members.append(
            CohortMember(cohort_import=cohort_import, patient_id=patient_id, created=created)
        )
        if created:
            guardians.extend(
                GuardianToInform(
                    patient_id=patient_id, guardian_nir=nir, cohort_import=cohort_import
                )
                for nir in checked.guardians
            )
    CohortImportError.objects.bulk_create(errors, ignore_conflicts=True)
    CohortMember.objects.bulk_create(members, ignore_conflicts=True)
    GuardianToInform.objects.bulk_create(guardians, ignore_conflicts=True)
    return counts


def _known_patients(nirs: list[str]) -> dict[str, int]:
    """NIR → patient id of the persons already registered among ``nirs``."""
    return dict(Patient.objects.filter(nir__in=nirs).values_list("nir", "pk"))


# Patient fields whose model validators check_line has already run on the same value.
_CHECKED_FIELDS = ("nir", "phone")


def _create_patients(new: list[CheckedLine]) -> dict[int, tuple[int, bool, list[str]]]:
    """Line → (patient id, created?, problems) of the valid lines whose NIR was not known.

    What :func:`records.services.patient_create` does per person (the model's
    field checks, the patient, its record in state created and the record's
    first transition) done for the whole chunk: the field checks per person in
    memory, then one INSERT per table under one savepoint. Uniqueness of the
    NIR and its shape, which ``full_clean`` would check with a query each, are
    left to the database's constraints. When the database refuses the batch
    (a person registered since the chunk looked for known NIRs), the savepoint
    is rolled back and each person of the batch goes through
    :func:`_create_patient`, one by one, as before; so does a person whose
    field checks fail, to get the same answer and message as before.
    """
    outcomes: dict[int, tuple[int, bool, list[str]]] = {}
    batch: list[tuple[CheckedLine, Patient]] = []
    for checked in new:
        patient = Patient(**checked.data)
        try:
            # check_line already ran the NIR's and the phone's own validators
            # (validate_nir; normalize_phone, whose E.164 output validate_phone accepts).
            patient.full_clean(
                exclude=_CHECKED_FIELDS, validate_unique=False, validate_constraints=False
            )
        except ValidationError:
            outcomes[checked.line] = _create_patient(checked.data)
            continue
        batch.append((checked, patient))
    if not batch:
        return outcomes
    try:
        with transaction.atomic():
            patients = Patient.objects.bulk_create([patient for _checked, patient in batch])
            records_create(patients=patients)
    except IntegrityError:
        for checked, _patient in batch:
            outcomes[checked.line] = _create_patient(checked.data)
        return outcomes
    for checked, patient in batch:
        outcomes[checked.line] = (patient.pk, True, [])
    return outcomes


def _create_patient(data: dict[str, Any]) -> tuple[int, bool, list[str]]:
    """(patient id, created?, problems): a new patient, or the one another import just made."""
    try:
        with transaction.atomic():
            patient = patient_create(data=data)
        return patient.pk, True, []
    except IntegrityError:
        pass
    except ValidationError as exc:
        # full_clean's uniqueness check sees a patient created since the chunk began.
        if "nir" not in exc.message_dict or not Patient.objects.filter(nir=data["nir"]).exists():
            return (
                0,
                False,
                [
                    _column_error(FIELD_COLUMNS.get(name, name), " ".join(messages))
                    for name, messages in exc.message_dict.items()
                ],
            )
    return Patient.objects.values_list("pk", flat=True).get(nir=data["nir"]), False, []
