"""Documents end to end (tasks run inline here; ``tests/integration`` uses a real
worker): deposit from the pages and the API, the ingestion steps and their
refusals, encryption at rest, viewing, search, versions, hiding and quarantine."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from pytest_django.asserts import assertContains, assertNotContains
from rest_framework.authtoken.models import Token

from consent.models import AccessLog
from consent.policy import own_record_access, professional_record_access
from documents import services
from documents.models import Document, Upload, UploadState
from documents.search import search_filter
from messpace import vault
from messpace.accounts.models import Professional, User
from records.models import Patient, TimelineEvent
from tests.factories import CareRelationshipFactory, PatientUserFactory, ProfessionalFactory

SAMPLES = Path("/work/shared/samples/cda")
FIXTURES = Path(__file__).parent / "fixtures"
CDA_INS = "279035121518989"
Login = Callable[[Client, User], Client]


@pytest.fixture(autouse=True)
def _media(media: Path, scanner: str) -> Path:
    """Each test stores blobs in its own folder, scanned by the real clamd."""
    return media


def pdf_bytes(text: str = "Compte rendu de consultation", *, pages: int = 1) -> bytes:
    """A small valid PDF whose pages carry ``text``."""
    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(width=595, height=842)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        from pypdf.generic import ContentStream

        stream = ContentStream(None, None)
        stream.set_data(f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Title": TextStringObject("CR")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def cda_sample(name: str = "VAC-NOTE_2023.01.xml") -> bytes:
    path = FIXTURES / name if (FIXTURES / name).exists() else SAMPLES / name
    return path.read_bytes()


@pytest.fixture
def dominique(db: None) -> Patient:
    """The patient of the ANS sample CDA documents."""
    return PatientUserFactory(  # type: ignore[no-any-return]
        nir=CDA_INS, birth_date=dt.date(1979, 3, 28), sex="F", given_names="Dominique"
    )


def committed(call: Callable[[], Any]) -> Any:
    """Run ``call``, then what it left for after the commit (the ingestion task),
    as the real transaction's commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = call()
    return result


def _deposit_page(client: Client, content: bytes, name: str, **fields: str) -> Any:
    data = {
        "doc_type": fields.get("doc_type", "EXPPAT_2"),
        "title": fields.get("title", "Consultation du 2 mars"),
        "act_date": fields.get("act_date", "2024-03-02"),
        "author_label": fields.get("author_label", ""),
        "file": SimpleUploadedFile(
            name, content, content_type=fields.get("mime", "application/pdf")
        ),
    }
    return committed(lambda: client.post(reverse("documents:deposit"), data))


def _upload(patient: Patient) -> Upload:
    return Upload.objects.filter(patient=patient).latest("created_at")


# --- Deposit, ingestion, encryption -------------------------------------------------


def test_patient_upload_becomes_a_visible_document_encrypted_at_rest(
    alice_client: Client, alice: Patient, _media: Path
) -> None:
    content = pdf_bytes("Analyse de sang glycemie")

    response = _deposit_page(alice_client, content, "analyse.pdf", title="Prise de sang")

    assert response.status_code == 302
    upload = _upload(alice)
    assert upload.state == UploadState.DONE, upload.reason
    document = Document.objects.get(upload=upload)
    assert document.kind == "pdf" and document.page_count == 1
    # Nothing in the storage is plaintext: no PDF header, no words of the text.
    for path in _media.rglob("*.bin"):
        raw = path.read_bytes()
        assert b"%PDF" not in raw and b"glycemie" not in raw
    # Nor in the database: the row holds a wrapped key and keyed hashes only.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_terms::text FROM documents_document WHERE id=%s", [document.pk]
        )
        assert "glycemie" not in cursor.fetchone()[0]
    listing = alice_client.get(reverse("documents:list"))
    assertContains(listing, "Prise de sang")
    assert TimelineEvent.objects.filter(kind="document", source_id=document.pk).exists()
    inline = alice_client.get(reverse("documents:content", args=[document.pk]))
    assert inline.content == content
    assert inline["Content-Disposition"].startswith("inline;")
    assert inline["Cache-Control"] == "no-store"


def test_the_same_file_twice_is_one_document(alice_client: Client, alice: Patient) -> None:
    content = pdf_bytes("Ordonnance")

    _deposit_page(alice_client, content, "a.pdf")
    second = _deposit_page(alice_client, content, "b.pdf")

    assert second.status_code == 302
    assert Upload.objects.filter(patient=alice).count() == 1
    assert Document.objects.filter(patient=alice).count() == 1


def test_processing_an_upload_twice_makes_one_document(alice: Patient) -> None:
    access = own_record_access(alice.user)  # type: ignore[arg-type]
    deposit = services.document_deposit(
        access=access,
        content=pdf_bytes(),
        filename="x.pdf",
        declared_mime="application/pdf",
        doc_type="EXPPAT_2",
        title="CR",
        act_date=dt.date(2024, 1, 5),
    )

    assert services.upload_process(upload_id=deposit.upload.pk) == UploadState.DONE
    assert services.upload_process(upload_id=deposit.upload.pk) == UploadState.DONE
    # Even a stale claim taken again cannot make a second document.
    Upload.objects.filter(pk=deposit.upload.pk).update(
        state=UploadState.PROCESSING, claimed_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    )
    services.upload_process(upload_id=deposit.upload.pk)
    assert Document.objects.filter(upload=deposit.upload).count() == 1


BAD_INPUTS: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("zip", "application/zip", lambda: _zip(), "archive"),
    (
        "polyglot",
        "application/pdf",
        lambda: b"%PDF-1.4\n<html><script>alert(1)</script></html>",
        "pdf_unreadable",
    ),
    ("truncated", "application/pdf", lambda: pdf_bytes()[:300], "pdf_unreadable"),
    ("javascript", "application/pdf", lambda: _pdf_with_javascript(), "pdf_javascript"),
    ("xxe", "text/xml", lambda: _xxe(), "xml_unsafe"),
    ("billion_laughs", "text/xml", lambda: _billion_laughs(), "xml_unsafe"),
    ("declared_mismatch", "image/png", lambda: pdf_bytes(), "type_mismatch"),
    ("text", "text/plain", lambda: b"juste du texte", "type_unknown"),
]


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("cr.pdf", pdf_bytes())
    return out.getvalue()


def _pdf_with_javascript() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('x');"),
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _xxe() -> bytes:
    return (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&x;</title></ClinicalDocument>'
    )


def _billion_laughs() -> bytes:
    entities = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE d [{"".join(entities)}]>'
        '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&l9;</title></ClinicalDocument>'
    ).encode()


@pytest.mark.parametrize(
    ("name", "mime", "make", "code"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_files_are_quarantined_with_a_reason_and_touch_nothing_else(
    alice_client: Client, alice: Patient, name: str, mime: str, make: Callable[[], bytes], code: str
) -> None:
    _deposit_page(alice_client, pdf_bytes("Bon document"), "bon.pdf", title="Bon")
    good = Document.objects.get(patient=alice)

    response = _deposit_page(alice_client, make(), f"{name}.bin", title="Mauvais", mime=mime)

    assert response.status_code == 302
    upload = Upload.objects.get(patient=alice, title="Mauvais")
    assert upload.state == UploadState.QUARANTINED
    assert upload.reason_code == code, upload.reason
    assert upload.reason  # a sentence for the depositor
    assert list(Document.objects.filter(patient=alice)) == [good]
    listing = alice_client.get(reverse("documents:list"))
    assertContains(listing, upload.reason.split(":")[0][:30])
    assert b"root:x" not in listing.content


def test_eicar_is_quarantined_as_malware(
    alice_client: Client, alice: Patient, eicar: bytes
) -> None:
    content = pdf_bytes() + b"\n" + eicar

    _deposit_page(alice_client, content, "virus.pdf", title="Virus")

    upload = _upload(alice)
    assert upload.state == UploadState.QUARANTINED and upload.reason_code == "malware"
    assert not Document.objects.filter(patient=alice).exists()
    with pytest.raises(Exception, match="infecté"):
        services.upload_release(upload=upload, by=alice.user)  # type: ignore[arg-type]


def test_empty_and_oversized_files_are_refused_by_the_form(
    alice_client: Client, alice: Patient, settings: Any
) -> None:
    empty = _deposit_page(alice_client, b"", "vide.pdf")
    assertContains(empty, "Le fichier est vide", status_code=200)

    settings.MESSPACE_DOCUMENT_MAX_BYTES = 1024 * 1024
    big = _deposit_page(alice_client, b"%PDF-1.4" + b"0" * (3 * 1024 * 1024), "gros.pdf")
    assertContains(big, "taille maximale de 1 Mo", status_code=200)
    assert not Upload.objects.filter(patient=alice).exists()


def test_a_200_mb_upload_is_cut_off_without_being_stored(
    alice_client: Client, alice: Patient
) -> None:
    response = _deposit_page(alice_client, b"%PDF-1.4" + bytes(200 * 1024 * 1024), "enorme.pdf")

    assertContains(response, "taille maximale de 20 Mo", status_code=200)
    assert not Upload.objects.exists()


def test_a_hostile_filename_is_made_safe(alice_client: Client, alice: Patient) -> None:
    assert services.safe_filename("../../etc/pass\x00wd\r\n.pdf") == "passwd.pdf"
    assert services.safe_filename("..\\..\\win.ini") == "win.ini"
    assert services.safe_filename("\x1b[31m;rm -rf.pdf") == "[31m_rm -rf.pdf"
    assert services.safe_filename("../") == "document"

    _deposit_page(alice_client, pdf_bytes(), "../../etc/\x07cr\x1b.pdf")

    document = Document.objects.get(patient=alice)
    assert document.filename == "cr.pdf"
    download = alice_client.get(reverse("documents:download", args=[document.pk]))
    assert download["Content-Disposition"].startswith('attachment; filename="cr.pdf"')
    assert download["X-Content-Type-Options"] == "nosniff"


# --- CDA: parsing and identity --------------------------------------------------------


def test_cda_for_this_patient_is_parsed_rendered_and_searchable(
    login: Login, client: Client, dominique: Patient
) -> None:
    client = login(client, dominique.user)  # type: ignore[arg-type]
    _deposit_page(
        client,
        cda_sample(),
        "vac.xml",
        mime="text/xml",
        doc_type="87273-9",
        title="Vaccins de Dominique",
    )

    document = Document.objects.get(patient=dominique)
    assert document.kind == "cda"
    detail = client.get(reverse("documents:detail", args=[document.pk]))
    assert detail.status_code == 200
    rendered = detail.content.split(b'class="ms-document-rendered">')[1].split(b"</section>")[0]
    assert b"NOTE DE VACCINATION" in rendered.upper()
    assert b"<script" not in rendered and b"onerror" not in rendered
    # Words of the title or of the extracted text find it, whatever the case or accents.
    for query in ("vaccins", "tétanique intramusculaire", "TETANIQUE"):
        found = client.get(reverse("documents:list"), {"q": query})
        assertContains(found, "Vaccins de Dominique", msg_prefix=query)
    nothing = client.get(reverse("documents:list"), {"q": "appendicectomie"})
    assertNotContains(nothing, "Vaccins de Dominique")


def test_cda_for_another_patient_is_quarantined_until_an_admin_releases_it(
    alice_client: Client, alice: Patient
) -> None:
    _deposit_page(alice_client, cda_sample(), "vac.xml", mime="text/xml", title="CDA étranger")

    upload = _upload(alice)
    assert upload.state == UploadState.QUARANTINED and upload.reason_code == "identity_mismatch"
    admin = User.objects.create_superuser(email="admin@exemple.fr", password="x" * 16)

    committed(lambda: services.upload_release(upload=upload, by=admin))

    upload.refresh_from_db()
    assert upload.state == UploadState.DONE
    assert Document.objects.filter(upload=upload).exists()


# --- Professionals: API, matrix, hiding, versions --------------------------------------


@pytest.fixture
def bob_token(bob: Professional) -> str:
    return Token.objects.create(user=bob.user).key


def _api_deposit(
    client: Client, token: str, patient: Patient, content: bytes, **fields: Any
) -> Any:
    data = {
        "ins": patient.nir,
        "birth_date": patient.birth_date.isoformat(),
        "doc_type": "57833-6",
        "title": "Ordonnance",
        "act_date": "2024-04-01",
        "file": SimpleUploadedFile("o.pdf", content, content_type="application/pdf"),
        **fields,
    }
    return committed(
        lambda: client.post(
            reverse("api:document_deposit"), data, HTTP_AUTHORIZATION=f"Token {token}"
        )
    )


def test_api_deposit_is_idempotent_on_the_source_identifier(
    client: Client, alice: Patient, bob_token: str
) -> None:
    first = _api_deposit(
        client, bob_token, alice, pdf_bytes("v1"), source_system="LGC", source_id="A-1"
    )
    again = _api_deposit(
        client, bob_token, alice, pdf_bytes("v1"), source_system="LGC", source_id="A-1"
    )
    other = _api_deposit(
        client, bob_token, alice, pdf_bytes("v2"), source_system="LGC", source_id="A-1"
    )

    assert first.status_code == 202, first.content
    assert again.status_code == 200 and again.json()["upload"] == first.json()["upload"]
    assert other.status_code == 400 and "source_id" in other.json()
    status = client.get(first.json()["status_url"], HTTP_AUTHORIZATION=f"Token {bob_token}")
    assert status.json()["state"] == "done" and status.json()["document"]
    assert Document.objects.filter(patient=alice).count() == 1


def test_api_answers_404_for_a_record_out_of_reach_and_400_for_bad_fields(
    client: Client, alice: Patient, charlie: Professional
) -> None:
    token = Token.objects.create(user=charlie.user).key

    unreachable = _api_deposit(client, token, alice, pdf_bytes())
    unknown = _api_deposit(
        client, token, PatientUserFactory.build(nir="279035121518989"), pdf_bytes()
    )
    bad = _api_deposit(client, token, alice, pdf_bytes(), doc_type="nimporte", act_date="demain")

    assert unreachable.status_code == 404 and unknown.status_code == 404
    assert unreachable.json() == unknown.json()
    assert bad.status_code == 400 and {"doc_type", "act_date"} <= set(bad.json())
    assert not Upload.objects.exists()
    patient_token = Token.objects.create(user=alice.user).key
    assert _api_deposit(client, patient_token, alice, pdf_bytes()).status_code == 403


def test_status_of_someone_elses_upload_is_404(
    client: Client, alice: Patient, bob_token: str, charlie: Professional
) -> None:
    upload_id = _api_deposit(client, bob_token, alice, pdf_bytes()).json()["upload"]
    token = Token.objects.create(user=charlie.user).key

    response = client.get(
        reverse("api:upload_status", args=[upload_id]), HTTP_AUTHORIZATION=f"Token {token}"
    )

    assert response.status_code == 404


def test_professional_deposit_notifies_the_patient_without_health_content(
    client: Client, alice: Patient, bob_token: str
) -> None:
    _api_deposit(client, bob_token, alice, pdf_bytes(), title="Compte rendu psychiatrique")

    assert len(mail.outbox) == 1
    assert "psychiatrique" not in mail.outbox[0].body + str(mail.outbox[0].alternatives)


def test_matrix_hiding_and_logging_apply_to_documents(
    client: Client, login: Login, alice: Patient, bob: Professional, bob_token: str
) -> None:
    _api_deposit(client, bob_token, alice, pdf_bytes("bio"), doc_type="11502-2", title="Bilan")
    document = Document.objects.get(patient=alice)
    physio = ProfessionalFactory(profession="kinesitherapeute")
    CareRelationshipFactory(professional=physio, patient=alice)
    pharmacist = ProfessionalFactory(profession="pharmacien")
    CareRelationshipFactory(professional=pharmacist, patient=alice)

    assert professional_record_access(physio.user, alice.pk).documents().count() == 0
    assert professional_record_access(pharmacist.user, alice.pk).documents().count() == 1
    services.document_visibility_set(
        access=own_record_access(alice.user),
        document=document,
        hidden=True,  # type: ignore[arg-type]
    )
    assert professional_record_access(pharmacist.user, alice.pk).documents().count() == 0
    # Its author still sees it.
    assert professional_record_access(bob.user, alice.pk).documents().count() == 1
    pharma = login(Client(), pharmacist.user)
    assert (
        pharma.get(reverse("pro_documents:detail", args=[alice.pk, document.pk])).status_code == 404
    )
    bob_client = login(Client(), bob.user)
    assert (
        bob_client.get(reverse("pro_documents:detail", args=[alice.pk, document.pk])).status_code
        == 200
    )
    assert AccessLog.objects.filter(
        patient=alice, actor=bob.user, what="document", object_id=document.pk
    ).exists()


def test_author_publishes_a_new_version_and_the_latest_comes_first(
    client: Client, login: Login, alice: Patient, bob: Professional, bob_token: str
) -> None:
    _api_deposit(client, bob_token, alice, pdf_bytes("v1"), title="CR v1")
    first = Document.objects.get(patient=alice)

    second = _api_deposit(
        client, bob_token, alice, pdf_bytes("v2"), title="CR v2", replaces=first.pk
    )

    assert second.status_code == 202, second.content
    latest = Document.objects.get(patient=alice, is_current=True)
    assert latest.version == 2 and latest.series == first.series
    alice_view = login(Client(), alice.user)  # type: ignore[arg-type]
    listing = alice_view.get(reverse("documents:list"))
    assertContains(listing, "CR v2")
    assertNotContains(listing, "CR v1")
    detail = alice_view.get(reverse("documents:detail", args=[latest.pk]))
    assertContains(detail, "Version 1")


def test_patient_deletes_her_upload_but_not_a_professionals(
    alice_client: Client, alice: Patient, client: Client, bob_token: str, _media: Path
) -> None:
    _deposit_page(alice_client, pdf_bytes("mien"), "mien.pdf", title="Le mien")
    mine = Document.objects.get(patient=alice)
    _api_deposit(Client(), bob_token, alice, pdf_bytes("pro"), title="Du medecin")
    theirs = Document.objects.get(patient=alice, title="Du medecin")

    refused = alice_client.post(reverse("documents:delete", args=[theirs.pk]))
    deleted = committed(lambda: alice_client.post(reverse("documents:delete", args=[mine.pk])))

    assert refused.status_code == 403
    assert deleted.status_code == 302
    assert not Document.live.filter(pk=mine.pk).exists()
    assert not Path(_media / mine.upload.blob).exists()


def test_another_persons_document_answers_404(
    login: Login, client: Client, alice_client: Client, alice: Patient
) -> None:
    _deposit_page(alice_client, pdf_bytes(), "a.pdf")
    document = Document.objects.get(patient=alice)
    other = login(client, PatientUserFactory().user)

    for name in ("detail", "content", "download", "delete"):
        assert other.get(reverse(f"documents:{name}", args=[document.pk])).status_code == 404


def test_master_key_rotation_keeps_documents_readable(
    alice_client: Client, alice: Patient, settings: Any
) -> None:
    from messpace.vault_rotation import rotate

    _deposit_page(alice_client, pdf_bytes("rotation"), "r.pdf")
    document = Document.objects.get(patient=alice)
    assert document.key_id == "t1"

    rotate(to_key_id="t2")

    document.refresh_from_db()
    assert document.key_id == "t2" and document.upload.key_id == "t2"
    settings.MESSPACE_MASTER_KEYS = {"t2": settings.MESSPACE_MASTER_KEYS["t2"]}
    settings.MESSPACE_MASTER_KEY_ID = "t2"
    content = alice_client.get(reverse("documents:content", args=[document.pk]))
    assert content.status_code == 200 and content.content.startswith(b"%PDF")
    assert vault.current_key_id() == "t2"


def test_a_pdf_preview_is_made_on_first_view_and_kept_encrypted(
    alice_client: Client, alice: Patient, _media: Path
) -> None:
    _deposit_page(alice_client, pdf_bytes("Apercu"), "a.pdf")
    document = Document.objects.get(patient=alice)
    assert document.preview_blob == ""  # not made during ingestion

    first = alice_client.get(reverse("documents:preview", args=[document.pk]))

    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    document.refresh_from_db()
    assert document.preview_blob
    assert not (_media / document.preview_blob).read_bytes().startswith(b"\x89PNG")
    again = alice_client.get(reverse("documents:preview", args=[document.pk]))
    assert again.content == first.content


def test_documents_can_be_shared_and_delegated_as_a_scope(
    client: Client, alice: Patient, bob_token: str
) -> None:
    from consent import services as consent_services
    from consent.policy import carer_record_access
    from tests.factories import UserFactory

    _api_deposit(client, bob_token, alice, pdf_bytes("ordo"), title="Ordonnance de Bob")
    access = own_record_access(alice.user)  # type: ignore[arg-type]
    dentist = ProfessionalFactory(profession="chirurgien_dentiste")
    consent_services.share_grant(
        access=access, professional=dentist, sections=["document"], expires_at=None
    )
    _grant, token = consent_services.carer_invite(
        access=access,
        email="carol@exemple.fr",
        sections=["allergy"],
        can_write=False,
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )
    carol = UserFactory(email="carol@exemple.fr")
    consent_services.carer_accept(user=carol, token=token)

    dentist_access = professional_record_access(dentist.user, alice.pk)
    assert [d.title for d in dentist_access.documents()] == ["Ordonnance de Bob"]
    assert not dentist_access.sees_section("allergy")
    # The carer's scope has no documents: none, and the pages answer 404.
    carer_access = carer_record_access(carol, alice.pk)
    assert not carer_access.sees_documents() and carer_access.documents().count() == 0
    carer_client = Client()
    carer_client.force_login(carol)
    assert carer_client.get(reverse("carer_documents:list", args=[alice.pk])).status_code == 404


def test_reindex_after_a_new_search_key_finds_documents_again(
    alice_client: Client, alice: Patient, settings: Any
) -> None:
    from django.core.management import call_command

    _deposit_page(alice_client, pdf_bytes("Radiographie du poignet"), "r.pdf", title="Radio")
    settings.MESSPACE_SEARCH_INDEX_KEY = b"k" * 32
    access = own_record_access(alice.user)  # type: ignore[arg-type]
    assert not search_filter(access.documents(), "poignet").exists()

    call_command("documents_reindex", stdout=io.StringIO())

    assert search_filter(access.documents(), "poignet").exists()


def test_a_minors_document_kept_from_the_guardians_and_its_new_versions_too(
    client: Client, login: Login, bob: Professional, bob_token: str
) -> None:
    """GIVEN a professional's document in a 16-year-old's record, hidden by the teen
    WHEN the professional keeps it from the parents and publishes a version 2
    THEN the parent sees neither version, and version 2 is still hidden from
    other professionals."""
    from consent import services as consent_services
    from consent.policy import guardian_record_access
    from tests.factories import UserFactory

    teen = PatientUserFactory(
        birth_date=dt.date.today() - dt.timedelta(days=16 * 365 + 30)  # 16
    )
    parent = UserFactory()
    consent_services.guardianship_add(patient=teen, guardian=parent)
    CareRelationshipFactory(professional=bob, patient=teen)
    _api_deposit(client, bob_token, teen, pdf_bytes("contraception"), title="Ordonnance pilule")
    v1 = Document.objects.get(patient=teen)
    services.document_visibility_set(
        access=own_record_access(teen.user),
        document=v1,
        hidden=True,  # type: ignore[arg-type]
    )
    bob_client = login(Client(), bob.user)

    kept = bob_client.post(
        reverse("pro_documents:confidentiality", args=[teen.pk, v1.pk]), {"confidential": "1"}
    )
    _api_deposit(client, bob_token, teen, pdf_bytes("v2"), title="Ordonnance v2", replaces=v1.pk)

    assert kept.status_code == 302
    v2 = Document.objects.get(patient=teen, is_current=True)
    assert v2.version == 2 and v2.hidden_from_professionals and v2.confidential_from_guardians
    assert guardian_record_access(parent, teen.pk).documents().count() == 0
    other = ProfessionalFactory()
    CareRelationshipFactory(professional=other, patient=teen)
    assert professional_record_access(other.user, teen.pk).documents().count() == 0
    parent_client = login(Client(), parent)
    parent_client.post(reverse("records:act_for", args=[teen.pk]))
    assert parent_client.get(reverse("documents:detail", args=[v2.pk])).status_code == 404
    assert "Ordonnance" not in parent_client.get(reverse("records:timeline")).content.decode()


def test_an_upload_that_keeps_killing_its_worker_ends_in_quarantine(alice: Patient) -> None:
    deposit = services.document_deposit(
        access=own_record_access(alice.user),  # type: ignore[arg-type]
        content=pdf_bytes(),
        filename="x.pdf",
        declared_mime="application/pdf",
        doc_type="EXPPAT_2",
        title="Plante",
        act_date=dt.date(2024, 1, 5),
    )
    # Three claims already, the last one abandoned (its worker died).
    Upload.objects.filter(pk=deposit.upload.pk).update(
        state=UploadState.PROCESSING,
        attempts=services.MAX_ATTEMPTS,
        claimed_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    )

    state = services.upload_process(upload_id=deposit.upload.pk)

    upload = Upload.objects.get(pk=deposit.upload.pk)
    assert state == UploadState.QUARANTINED == upload.state
    assert upload.reason_code == "internal" and "plusieurs reprises" in upload.reason
    assert not Document.objects.filter(upload=upload).exists()
