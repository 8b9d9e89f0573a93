"""Document types: the fixed French list and its LOINC codes.

The codes are those of the ANS value set JDV_J07-XdsTypeCode-CISIS (the
``typeCode`` of documents shared in the French DMP / Mon Espace Santé),
version 2026-06-29: LOINC codes (code system ``2.16.840.1.113883.6.1``) and,
for the patient's own documents, the ANS terminology TRE_A05
(``1.2.250.1.213.1.1.4.12``). Only ``AUTRE`` is local to messpace.

:class:`DocumentType` is a ``TextChoices`` whose value is the code, so a model
field can store the code itself. :func:`document_type_for_code` maps a code
read in a document header (CDA ``code``, FHIR ``type.coding``) to a type,
including the codes that the JDV lists next to ours for the same kind of
document (``SYNTH`` for the medical summary of the VSM samples, for instance).
"""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

LOINC_OID = "2.16.840.1.113883.6.1"
TRE_A05_OID = "1.2.250.1.213.1.1.4.12"
LOCAL_SYSTEM = "urn:messpace:document-type"

LOINC_SYSTEMS = frozenset({LOINC_OID, f"urn:oid:{LOINC_OID}", "http://loinc.org"})
TRE_A05_SYSTEMS = frozenset(
    {
        TRE_A05_OID,
        f"urn:oid:{TRE_A05_OID}",
        "https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire",
    }
)


class DocumentType(models.TextChoices):
    """The document types a depositor picks from; the value is the JDV_J07 code."""

    LETTRE_LIAISON_SORTIE = (
        "11490-0",
        _("Lettre de liaison à la sortie d'un établissement de santé"),
    )
    CR_HOSPITALISATION = "34112-3", _("Compte rendu d'hospitalisation")
    CR_OPERATOIRE = "34874-8", _("Compte rendu opératoire")
    CR_BIOLOGIE = "11502-2", _("Compte rendu d'examens biologiques")
    CR_IMAGERIE = "18748-4", _("Compte rendu d'imagerie médicale")
    ORDONNANCE = "57833-6", _("Ordonnance (prescription de produits de santé)")
    SYNTHESE_MEDICALE = "60591-5", _("Synthèse médicale")
    NOTE_VACCINATION = "87273-9", _("Note de vaccination")
    HISTORIQUE_VACCINATIONS = "11369-6", _("Historique des vaccinations")
    DOCUMENT_PATIENT = "EXPPAT_2", _("Document du patient")
    AUTRE = "AUTRE", _("Autre document")

    @property
    def code_system(self) -> str:
        """The OID of the code system of this type's code."""
        if self is DocumentType.AUTRE:
            return LOCAL_SYSTEM
        if self is DocumentType.DOCUMENT_PATIENT:
            return TRE_A05_OID
        return LOINC_OID


_LOINC_SHAPE = re.compile(r"[0-9]{1,7}-[0-9]")

# Other JDV_J07 codes for the same kind of document as one of ours.
_ALIASES: dict[str, DocumentType] = {
    # "Synthèse" (TRE_A05), used by the VSM 2022 medical summary samples.
    "SYNTH": DocumentType.SYNTHESE_MEDICALE,
    # "COVID-19 Attestation de vaccination".
    "96874-3": DocumentType.HISTORIQUE_VACCINATIONS,
    # "Prescription (autre)", "Prescription de soins".
    "57828-6": DocumentType.ORDONNANCE,
    "57832-8": DocumentType.ORDONNANCE,
    # Documents deposited by the patient (TRE_A05 EXPPAT_*, DOCPAT01-09).
    "EXPPAT_1": DocumentType.DOCUMENT_PATIENT,
    "EXPPAT_3": DocumentType.DOCUMENT_PATIENT,
    **{f"DOCPAT{n:02d}": DocumentType.DOCUMENT_PATIENT for n in range(1, 10)},
}


def document_type_for_code(code: str | None, system: str | None = None) -> DocumentType | None:
    """The :class:`DocumentType` of a header code, or ``None`` if it is not ours.

    ``system`` (an OID, ``urn:oid:`` URI or FHIR system URL), when given, must
    be LOINC for a LOINC-shaped code and TRE_A05 for the others; the local
    ``AUTRE`` code never comes from a header.
    """
    if not code:
        return None
    code = code.strip()
    if system is not None:
        is_loinc = _LOINC_SHAPE.fullmatch(code) is not None
        if system not in (LOINC_SYSTEMS if is_loinc else TRE_A05_SYSTEMS):
            return None
    if code == DocumentType.AUTRE.value:
        return None
    try:
        return DocumentType(code)
    except ValueError:
        return _ALIASES.get(code)
