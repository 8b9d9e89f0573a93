"""DICOM files (Part 10): header fields, descriptions and a first-frame preview.

The preview is decoded without numpy (not a dependency): uncompressed little
endian pixel data (8 or 16 bits, monochrome or RGB) is read with Pillow's raw
decoders, and the JPEG baseline and JPEG 2000 transfer syntaxes are handed to
Pillow frame by frame. Other compressions (JPEG lossless, JPEG-LS, RLE) get no
preview and a note. The deflated transfer syntax is refused: pydicom inflates
the whole dataset at once, without a size bound.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pydicom
from PIL import Image, ImageOps
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.filereader import read_dataset
from pydicom.tag import BaseTag
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
)

from documents.ingestion import _preview
from documents.ingestion._ins import INS_OIDS, clean_ins
from documents.ingestion._text import TextBuffer
from documents.ingestion.errors import Refused
from documents.ingestion.limits import Limits
from documents.ingestion.parsed import Parsed

_PILLOW_TRANSFER_SYNTAXES = frozenset(
    {JPEGBaseline8Bit, JPEGExtended12Bit, JPEG2000Lossless, JPEG2000}
)

# The 128-byte preamble is free for applications (TIFF headers are legitimate);
# an executable, archive, PDF or script there makes a polyglot file.
_POLYGLOT_PREAMBLES = (
    b"MZ",
    b"\x7fELF",
    b"PK",
    b"%PDF",
    b"#!",
    b"<",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
)


def parse_dicom(data: bytes, limits: Limits) -> Parsed:
    """Read a DICOM Part 10 file; refuse it (``dicom_invalid``) if pydicom cannot.

    Title from StudyDescription (else SeriesDescription), date from StudyDate,
    patient INS from PatientID only when its issuer is an INS OID (else none),
    search text from the descriptions. Frame dimensions are checked against
    ``limits`` (``image_too_large``) before decoding.
    """
    if data[:128].lstrip(b"\x00").startswith(_POLYGLOT_PREAMBLES):
        raise Refused(
            "dicom_invalid",
            "Le préambule du fichier DICOM contient un autre format (exécutable, archive, PDF "
            "ou script) : ce fichier polyglotte n'est pas accepté.",
        )
    _check_file_meta(data)
    try:
        dataset = pydicom.dcmread(io.BytesIO(data), force=False)
    except MemoryError:
        raise
    except Exception as error:  # InvalidDicomError and whatever a corrupt file raises
        raise Refused(
            "dicom_invalid", f"Le fichier DICOM est illisible ({str(error)[:200]})."
        ) from error

    notes: list[str] = []
    study = _string(dataset, "StudyDescription")
    series = _string(dataset, "SeriesDescription")
    modality = _string(dataset, "Modality")
    text = TextBuffer()
    text.extend([study, series, _string(dataset, "BodyPartExamined")])
    if modality:
        text.add(f"Modalité : {modality}")
    try:
        preview = _frame_preview(dataset, limits, notes)
    except Refused:
        raise
    except MemoryError:
        raise
    except Exception as error:
        notes.append(f"Aperçu DICOM impossible : {type(error).__name__} : {str(error)[:200]}.")
        preview = None
    return Parsed(
        title=study or series or (f"Imagerie {modality}" if modality else None),
        effective=_dicom_date(_string(dataset, "StudyDate"), notes),
        patient_ins=_patient_ins(dataset, notes),
        text=text.text(),
        preview_png=preview,
        notes=notes,
    )


def _check_file_meta(data: bytes) -> None:
    """Refuse a file without the mandatory Part 10 header, or with a deflated body."""
    stream = io.BytesIO(data)
    stream.seek(132)

    def beyond_meta(tag: BaseTag, vr: str | None, length: int) -> bool:
        return bool(tag.group != 0x0002)

    try:
        meta = read_dataset(
            stream, is_implicit_VR=False, is_little_endian=True, stop_when=beyond_meta
        )
        syntax = meta.get("TransferSyntaxUID")
        sop_class = meta.get("MediaStorageSOPClassUID")
    except MemoryError:
        raise
    except Exception as error:
        raise Refused(
            "dicom_invalid", f"L'en-tête DICOM (groupe 0002) est illisible ({str(error)[:200]})."
        ) from error
    if not syntax or not sop_class:
        raise Refused(
            "dicom_invalid",
            "L'en-tête DICOM ne précise pas la syntaxe de transfert ou la classe de l'objet : "
            "ce n'est pas un fichier DICOM valide.",
        )
    if syntax == DeflatedExplicitVRLittleEndian:
        raise Refused(
            "dicom_invalid",
            "La syntaxe de transfert DICOM « Deflate » n'est pas acceptée : exportez l'image "
            "sans compression ou en JPEG.",
        )


def _string(dataset: Dataset, keyword: str) -> str | None:
    value: Any = dataset.get(keyword)
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _dicom_date(value: str | None, notes: list[str]) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        notes.append(f"Date d'examen DICOM illisible : {value[:20]}.")
        return None


def _patient_ins(dataset: Dataset, notes: list[str]) -> str | None:
    """PatientID when IssuerOfPatientID (or its qualifiers) names an INS OID."""
    issuers: set[str] = set()
    issuer = _string(dataset, "IssuerOfPatientID")
    if issuer:
        # Also accept the HL7 v2 form "INS-NIR&1.2.250.1.213.1.4.8&ISO".
        issuers.update(part.strip() for part in issuer.split("&"))
    for qualifiers in dataset.get("IssuerOfPatientIDQualifiersSequence", None) or []:
        entity = _string(qualifiers, "UniversalEntityID")
        if entity:
            issuers.add(entity)
    if not issuers.intersection(INS_OIDS):
        return None
    return clean_ins(_string(dataset, "PatientID"), notes)


def _frame_preview(dataset: Dataset, limits: Limits, notes: list[str]) -> bytes | None:
    if "PixelData" not in dataset:
        notes.append("Le fichier DICOM ne contient pas d'image (pas de PixelData).")
        return None
    rows = int(dataset.get("Rows", 0) or 0)
    columns = int(dataset.get("Columns", 0) or 0)
    _preview.check_dimensions(columns, rows, limits, "L'image DICOM")
    syntax = dataset.file_meta.TransferSyntaxUID
    photometric = (_string(dataset, "PhotometricInterpretation") or "").upper()
    if syntax.is_encapsulated:
        if syntax not in _PILLOW_TRANSFER_SYNTAXES:
            notes.append(f"Compression DICOM {syntax.name} : pas d'aperçu.")
            return None
        frames = int(dataset.get("NumberOfFrames", 1) or 1)
        first = next(generate_frames(dataset.PixelData, number_of_frames=frames))
        with _preview.strict_decoding(), Image.open(io.BytesIO(first)) as frame:
            _preview.check_dimensions(*frame.size, limits, "L'image DICOM")
            frame.load()
            image = frame.copy()
    else:
        if not syntax.is_little_endian:
            notes.append("Image DICOM en big endian : pas d'aperçu.")
            return None
        raw = _raw_frame(dataset, rows, columns, photometric, notes)
        if raw is None:
            return None
        image = raw
    image = _preview.to_display_mode(image)
    if photometric == "MONOCHROME1" and image.mode == "L":
        image = ImageOps.invert(image)  # MONOCHROME1: 0 is white
    return _preview.encode_png_compact(_preview.fit(image))


def _raw_frame(
    dataset: Dataset, rows: int, columns: int, photometric: str, notes: list[str]
) -> Image.Image | None:
    samples = int(dataset.get("SamplesPerPixel", 1) or 1)
    bits = int(dataset.get("BitsAllocated", 0) or 0)
    signed = int(dataset.get("PixelRepresentation", 0) or 0) == 1
    planar = int(dataset.get("PlanarConfiguration", 0) or 0)
    if bits not in (8, 16) or samples not in (1, 3) or (samples == 3 and bits != 8):
        notes.append(f"Image DICOM de {samples} canal(aux) sur {bits} bits : pas d'aperçu.")
        return None
    size = (columns, rows)
    plane = rows * columns * (bits // 8)
    pixels: bytes = dataset.PixelData
    if len(pixels) < plane * samples:
        raise Refused("dicom_invalid", "Les données d'image DICOM sont tronquées.")
    if samples == 1 and bits == 8:
        return Image.frombytes("L", size, pixels[:plane])
    if samples == 1:
        return Image.frombytes("I", size, pixels[:plane], "raw", "I;16S" if signed else "I;16")
    if planar == 1:
        channels = [
            Image.frombytes("L", size, pixels[i * plane : (i + 1) * plane]) for i in range(3)
        ]
        image = Image.merge("RGB", channels)
    else:
        image = Image.frombytes("RGB", size, pixels[: plane * 3])
    if photometric.startswith("YBR"):
        image = Image.frombytes("YCbCr", size, image.tobytes()).convert("RGB")
    return image
