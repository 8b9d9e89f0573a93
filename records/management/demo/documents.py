"""Demo documents: the ANS sample CDA documents in Dominique's record, deposited by
her GP, and a consultation letter (PDF) in Gérard's. They go through the real
deposit and ingestion (inline in embedded mode), so a second run adds nothing:
the same bytes for the same patient are one deposit.

One of Dominique's lab reports is also sent to Gérard's record by mistake: it
names Dominique's INS, so the ingestion quarantines it, for an admin to
review through the logged path of the admin (*Dépôts*)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject, TextStringObject

from consent.policy import professional_record_access
from documents.ingestion.types import DocumentType
from documents.services import document_deposit
from records.management.demo.base import GP_NAME, Seeder
from records.models import Patient

SAMPLES = Path(__file__).parent / "documents"

# file, type, title, date of the act (from each document's header)
CDA_SAMPLES = (
    ("VSM_1.4_2022.01.xml", DocumentType.SYNTHESE_MEDICALE, "Synthèse médicale", dt.date(2022, 1, 1)),
    ("VAC-NOTE_2023.01.xml", DocumentType.NOTE_VACCINATION, "Note de vaccination", dt.date(2023, 1, 1)),
    (
        "LDL-SES_2022.01.xml",
        DocumentType.LETTRE_LIAISON_SORTIE,
        "Lettre de liaison à la sortie",
        dt.date(2022, 1, 1),
    ),
    (
        "BIO-CR-BIO_2024.01_TSH_1.xml",
        DocumentType.CR_BIOLOGIE,
        "Dosage de la TSH",
        dt.date(2024, 1, 1),
    ),
    (
        "IMG_CR_IMG_2024.01.xml",
        DocumentType.CR_IMAGERIE,
        "Compte rendu d’imagerie",
        dt.date(2024, 1, 1),
    ),
)  # fmt: skip


def letter_pdf(lines: list[str], title: str) -> bytes:
    """A one-page PDF letter (Helvetica, WinAnsi text)."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    body = "".join(
        f"BT /F1 11 Tf 60 {780 - 18 * n} Td ({line.replace('(', '[').replace(')', ']')}) Tj ET\n"
        for n, line in enumerate(lines)
    )
    stream = ContentStream(None, None)
    stream.set_data(body.encode("cp1252"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Title": TextStringObject(title), "/Author": TextStringObject(GP_NAME)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def seed_documents(s: Seeder, dominique: Patient, gerard: Patient) -> None:
    gp = s.users["gp"]
    access = professional_record_access(gp, dominique.pk)
    for name, doc_type, title, act_date in CDA_SAMPLES:
        document_deposit(
            access=access,
            content=(SAMPLES / name).read_bytes(),
            filename=name,
            declared_mime="text/xml",
            doc_type=doc_type,
            title=title,
            act_date=act_date,
            source_system="demo-lgc",
            source_id=name,
        )
    visit = s.today - dt.timedelta(days=40)
    letter = letter_pdf(
        [
            f"{GP_NAME}, médecin généraliste",
            f"Paris, le {visit:%d/%m/%Y}",
            "",
            "Compte rendu de consultation : Gérard FONTAINE, 74 ans",
            "Suivi du diabète de type 2 et de l’hypertension artérielle.",
            "HbA1c 7,1 %. Pression artérielle 138/82 mmHg au cabinet.",
            "Fibrillation atriale permanente sous apixaban, bien tolérée.",
            "Poursuite du traitement. Bilan biologique dans trois mois.",
        ],
        "Compte rendu de consultation",
    )
    # Sent to the wrong record: the CDA names Dominique, so it waits in quarantine.
    lab = CDA_SAMPLES[3]
    document_deposit(
        access=professional_record_access(gp, gerard.pk),
        content=(SAMPLES / lab[0]).read_bytes(),
        filename=lab[0],
        declared_mime="text/xml",
        doc_type=lab[1],
        title=lab[2],
        act_date=lab[3],
        source_system="demo-lgc",
        source_id=f"wrong-record-{lab[0]}",
    )
    document_deposit(
        access=professional_record_access(gp, gerard.pk),
        content=letter,
        filename="consultation.pdf",
        declared_mime="application/pdf",
        doc_type=DocumentType.AUTRE,
        title="Compte rendu de consultation",
        act_date=visit,
        author_label=GP_NAME,
        source_system="demo-lgc",
        source_id="consultation-gerard",
    )
