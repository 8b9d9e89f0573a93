"""The admin shows identities, record states and technical metadata, never health data.

One world where every field that carries health data holds a marker (document
and upload titles, file names, author labels, notes and source identifiers,
quarantine and review reasons, emergency reasons, entries, access-log "what",
extracted text, a clinical document type, a session's contents), and where
patient and professional are named by markers too. A superuser then opens the
changelist, searches, the change, history and delete pages of every
registered ModelAdmin (iterating ``admin.site._registry``, so that an admin
added later is checked as well): no health marker may appear, and no page may
name the patient together with a professional or carer (that link is care).

The only admin page that shows health data is the quarantine review, behind a
typed reason and an access-log row; its tests follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.db import models
from django.test import Client, RequestFactory, TestCase
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains
from rest_framework.authtoken.models import Token

from consent import services as consent_services
from consent.models import AccessBasis, AccessLog, EmergencyAccess, Guardianship
from consent.optout.models import Campaign, CohortImport, LetterBatch
from consent.policy import own_record_access, professional_record_access
from documents import services as document_services
from documents.models import Document, QuarantineReview, Upload, UploadState
from messpace.accounts.models import Professional, User
from records import services as record_services
from records.lifecycle.models import Record
from records.lifecycle.services import record_close
from records.models import Condition, Patient, Treatment
from tests.factories import (
    CareRelationshipFactory,
    PatientFactory,
    PatientUserFactory,
    ProfessionalFactory,
    UserFactory,
)

Login = Callable[[Client, User], Client]

# Health data: none of these may appear on any admin page.
HEALTH = "SANTEMARQUE"
DOC_TITLE = f"{HEALTH}-TITRE"
FILENAME = f"{HEALTH}-FICHIER.pdf"
AUTHOR_LABEL = f"{HEALTH}-AUTEUR"
SOURCE_SYSTEM = f"{HEALTH}-LGC"
SOURCE_ID = f"{HEALTH}-SOURCE"
DOC_NOTES = f"{HEALTH}-NOTES"
TEXT = f"{HEALTH}TEXTE"
QUARANTINE_TITLE = f"{HEALTH}-TITRE-QUARANTAINE"
QUARANTINE_REASON = f"{HEALTH}-MOTIF-QUARANTAINE"
REVIEW_REASON = f"{HEALTH}-MOTIF-CONTROLE"
EMERGENCY_REASON = f"{HEALTH}-URGENCE coma diabétique"
CONDITION = f"{HEALTH}-MALADIE"
MEDICINE = f"{HEALTH}-MEDICAMENT"
ACCESS_WHAT = f"{HEALTH}-QUOI"
SESSION_NOTE = f"{HEALTH}-SESSION"
# A clinical document type reveals care: "operative report".
DOC_TYPE = "34874-8"
DOC_TYPE_LABEL = "Compte rendu opératoire"
HEALTH_MARKERS = [
    DOC_TITLE,
    FILENAME,
    AUTHOR_LABEL,
    SOURCE_SYSTEM,
    SOURCE_ID,
    DOC_NOTES,
    TEXT,
    QUARANTINE_TITLE,
    QUARANTINE_REASON,
    REVIEW_REASON,
    EMERGENCY_REASON,
    CONDITION,
    MEDICINE,
    ACCESS_WHAT,
    SESSION_NOTE,
    DOC_TYPE_LABEL,
    HEALTH,  # whatever field a marker was put in
]
# Identities: each may appear alone, never the patient with a professional or carer.
PATIENT_MARK = "patmarque"
PRO_MARK = "promarque"
CARER_MARK = "aidantmarque"
# Admins where a search by the patient's identity may find rows: identities and states.
IDENTITY_MODELS: set[type[models.Model]] = {Patient, Record, Guardianship}
# Admins where a search by a professional's name may find rows.
PROFESSIONAL_MODELS: set[type[models.Model]] = {Professional, User}


@pytest.fixture(autouse=True)
def _storage(media: Path, settings: Any) -> None:
    """Blobs in this test's folder; no virus scanner needed to build the world."""
    settings.MESSPACE_CLAMAV_SOCKET = None
    settings.MESSPACE_CLAMAV_HOST = None
    settings.MESSPACE_ALLOW_NO_SCANNER = True


def committed(call: Callable[[], Any]) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call()


def pdf_with_text(text: str) -> bytes:
    from tests.documents.test_documents import pdf_bytes

    return pdf_bytes(text)


def other_patients_cda() -> bytes:
    """A CDA naming another patient's INS: ingestion holds it in quarantine."""
    from tests.documents.test_documents import cda_sample

    return cda_sample()


@pytest.fixture
def patient(db: None) -> Patient:
    # The account's names are not the identity's: the user list names accounts only.
    return PatientUserFactory(  # type: ignore[no-any-return]
        birth_names="PATMARQUE",
        given_names="Patmarquine",
        user__first_name="Compte",
        user__last_name="Utilisateur",
        user__email="compte.patient@exemple.fr",
    )


@pytest.fixture
def admin_user(db: None) -> User:
    return User.objects.create_superuser(email="admin@exemple.fr", password="x" * 16)


@pytest.fixture
def admin_client(login: Login, admin_user: User) -> Client:
    return login(Client(), admin_user)


def _pro(profession: str, last_name: str) -> Professional:
    return ProfessionalFactory(  # type: ignore[no-any-return]
        profession=profession, user__last_name=last_name
    )


def _deposit(access: Any, content: bytes, **fields: Any) -> Upload:
    deposit = committed(
        lambda: document_services.document_deposit(
            access=access,
            content=content,
            filename=fields.pop("filename", FILENAME),
            declared_mime=fields.pop("mime", "application/pdf"),
            doc_type=fields.pop("doc_type", DOC_TYPE),
            title=fields.pop("title", DOC_TITLE),
            act_date=dt.date(2024, 2, 1),
            author_label=AUTHOR_LABEL,
            source_system=SOURCE_SYSTEM,
            source_id=fields.pop("source_id", SOURCE_ID),
        )
    )
    return Upload.objects.get(pk=deposit.upload.pk)


@pytest.fixture
def world(patient: Patient, admin_user: User, client: Client) -> dict[str, Any]:
    """Every kind of row the admin could show, health fields holding markers."""
    gp = _pro("generaliste", "Medecinpromarque")
    CareRelationshipFactory(professional=gp, patient=patient)
    access = own_record_access(patient.user)  # type: ignore[arg-type]
    consent_services.designated_gp_set(access=access, professional=gp)
    physio = _pro("kinesitherapeute", "Kinepromarque")
    consent_services.share_grant(
        access=access, professional=physio, sections=["allergy", "document"], expires_at=None
    )
    blocked = _pro("psychologue", "Psypromarque")
    consent_services.block_add(access=access, professional=blocked)
    emergency = _pro("urgentiste", "Urgencepromarque")
    EmergencyAccess.objects.create(
        patient=patient,
        professional=emergency,
        reason=EMERGENCY_REASON,
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )
    consent_services.emergency_refusal_set(access=access, refuses=False)
    _grant, token = consent_services.carer_invite(
        access=access,
        email=f"{CARER_MARK}@exemple.fr",
        sections=["treatment"],
        can_write=False,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    carer = UserFactory(email=f"{CARER_MARK}@exemple.fr", last_name="Aidantmarque")
    consent_services.carer_accept(user=carer, token=token)
    child = PatientFactory(birth_date=timezone.localdate() - dt.timedelta(days=8 * 365))
    consent_services.guardianship_add(patient=child, guardian=UserFactory())

    gp_access = professional_record_access(gp.user, patient.pk)
    record_services.entry_create(
        access=gp_access, model=Condition, data={"label": CONDITION, "notes": CONDITION}
    )
    record_services.entry_create(access=gp_access, model=Treatment, data={"medicine": MEDICINE})
    record_services.entry_create(
        access=access, model=Condition, data={"label": CONDITION}, allow_duplicate=True
    )
    # An account whose only rows are entries it wrote (no access-log row, no patient):
    # its delete confirmation lists them, protected.
    Condition.objects.create(
        patient=child, author=UserFactory(), author_kind="import", label=f"{CONDITION}-2"
    )
    upload = _deposit(gp_access, pdf_with_text(TEXT))
    Document.objects.filter(upload=upload).update(notes=DOC_NOTES)
    quarantined = _deposit(
        gp_access,
        other_patients_cda(),
        title=QUARANTINE_TITLE,
        source_id=f"{SOURCE_ID}-2",
        mime="text/xml",
    )
    assert quarantined.state == UploadState.QUARANTINED, quarantined.reason
    Upload.objects.filter(pk=quarantined.pk).update(
        reason=QUARANTINE_REASON,
        review_reason=REVIEW_REASON,
        reviewed_by=admin_user,
        reviewed_at=timezone.now(),
    )
    gp_access.log(action="read", what=ACCESS_WHAT)
    Token.objects.create(user=gp.user)
    Group.objects.create(name="Exploitation")
    cohort = CohortImport.objects.create(by=admin_user, filename="assures.csv")
    campaign = Campaign.objects.create(
        name="Campagne test", created_by=admin_user, cohort_import=cohort
    )
    LetterBatch.objects.create(
        campaign=campaign, number=1, pdf_blob="", manifest_blob="", wrapped_key=b"", key_id=""
    )
    # A session holding health data (a message waiting to be shown, say).
    patient_client = Client()
    patient_client.force_login(patient.user)  # type: ignore[arg-type]
    session = patient_client.session
    session["note"] = SESSION_NOTE
    session.save()
    assert Document.objects.filter(title=DOC_TITLE).exists()
    return {"patient": patient, "professionals": [gp, physio, blocked, emergency]}


def _without_query(content: str, query: str) -> str:
    """The page without the echo of what was searched (search box, links)."""
    if not query:
        return content
    for echo in (f'value="{query}"', f"q={query}", f"q%3D{query}"):
        content = content.replace(echo, "")
    return content


def _health_markers_in(content: str) -> list[str]:
    """The markers found, each with a little of the page around it."""
    text = content.lower()
    found = []
    for marker in HEALTH_MARKERS:
        at = text.find(marker.lower())
        if at >= 0:
            found.append(f"{marker} in …{content[max(0, at - 80) : at + 60]!r}…")
    return found


def _links_patient_to_someone(content: str, patient: Patient) -> bool:
    text = content.lower()
    names_patient = PATIENT_MARK in text or patient.nir in text
    return names_patient and (PRO_MARK in text or CARER_MARK in text)


def _pages(
    client: Client, model: type[models.Model], model_admin: admin.ModelAdmin, request: Any
) -> Iterator[tuple[str, str, Any]]:
    """(name, query searched or "", response) for every admin page of this model."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    changelist = reverse(f"{info}_changelist")
    yield "changelist", "", client.get(changelist)
    for obj in model._default_manager.all().order_by("pk")[:10]:
        pk = quote(obj.pk)
        yield f"change {obj.pk}", "", client.get(reverse(f"{info}_change", args=[pk]))
        yield f"history {obj.pk}", "", client.get(reverse(f"{info}_history", args=[pk]))
        if model_admin.has_delete_permission(request, obj):
            try:
                url = reverse(f"{info}_delete", args=[pk])
            except NoReverseMatch:
                continue
            yield f"delete {obj.pk}", "", client.get(url)


def test_no_admin_page_shows_health_data_or_who_cares_for_whom(
    admin_client: Client, admin_user: User, world: dict[str, Any]
) -> None:
    patient: Patient = world["patient"]
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    failures: list[str] = []
    checked_rows = 0
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        for name, query, response in _pages(admin_client, model, model_admin, request):
            checked_rows += name.startswith("change ")
            if response.status_code != 200:
                failures.append(f"{label} {name}: status {response.status_code}")
                continue
            content = _without_query(response.content.decode(), query)
            if leaked := _health_markers_in(content):
                failures.append(f"{label} {name}: shows {leaked}")
            if _links_patient_to_someone(content, patient):
                failures.append(f"{label} {name}: names the patient with a professional or carer")
        if not model_admin.get_search_fields(request):
            continue
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        searches = {
            "health content": (HEALTH, set()),
            "the patient's NIR": (patient.nir, IDENTITY_MODELS),
            "the patient's name": (PATIENT_MARK, IDENTITY_MODELS),
            "a professional's name": (PRO_MARK, PROFESSIONAL_MODELS),
        }
        for what, (query, allowed) in searches.items():
            response = admin_client.get(changelist, {"q": query})
            content = _without_query(response.content.decode(), query)
            found = response.context["cl"].result_count if response.status_code == 200 else 0
            if response.status_code != 200:
                failures.append(f"{label} search {what}: status {response.status_code}")
            elif found and model not in allowed:
                failures.append(f"{label}: a search by {what} finds {found} rows")
            if leaked := _health_markers_in(content):
                failures.append(f"{label} search {what}: shows {leaked}")
            if _links_patient_to_someone(content, patient):
                failures.append(f"{label} search {what}: names the patient with someone")

    assert not failures, "\n".join(failures)
    # The world is not empty: every admin of the project's apps had rows to show.
    project_apps = {"accounts", "records", "documents", "consent", "optout"}
    empty = [
        m._meta.label
        for m in admin.site._registry
        if m._meta.app_label in project_apps and not m._default_manager.exists()
    ]
    assert not empty, f"no row to check for {empty}"
    assert checked_rows > 20


# --- The quarantine review: the one logged way to a deposit's contents --------------------


@pytest.fixture
def quarantined(patient: Patient, login: Login) -> Upload:
    """A professional's deposit held in quarantine (its INS differs from the record's)."""
    pro = _pro("generaliste", "Deposantpromarque")
    CareRelationshipFactory(professional=pro, patient=patient)
    upload = _deposit(
        professional_record_access(pro.user, patient.pk),
        other_patients_cda(),
        title="Compte rendu de Mme Autre",
        doc_type="87273-9",
        mime="text/xml",
    )
    assert upload.state == UploadState.QUARANTINED
    assert upload.reason_code == "identity_mismatch"
    return upload


def _review_url(upload: Upload) -> str:
    return reverse("console-documents:review", args=[upload.pk])


def _review_logs(patient: Patient) -> Any:
    return AccessLog.objects.filter(patient=patient, basis=AccessBasis.QUARANTINE_REVIEW)


def test_the_review_page_shows_nothing_until_a_reason_is_typed(
    admin_client: Client, quarantined: Upload, patient: Patient
) -> None:
    page = admin_client.get(_review_url(quarantined))
    short = admin_client.post(_review_url(quarantined), {"reason": "  vérif  "})
    empty = admin_client.post(_review_url(quarantined), {"reason": ""})

    for response in (page, short, empty):
        assert response.status_code == 200
        assertNotContains(response, "Mme Autre")
        assertNotContains(response, "PATMARQUE")
        assertNotContains(response, "Deposantpromarque")
        assertNotContains(response, "INS différent")
        assertNotContains(response, 'name="decision"')
    assertContains(short, "Indiquez le motif de ce contrôle (10 caractères au moins).")
    assertContains(empty, "Indiquez le motif de ce contrôle (10 caractères au moins).")
    assert not _review_logs(patient).exists()
    quarantined.refresh_from_db()
    assert quarantined.review_reason == "" and quarantined.reviewed_by is None


def test_opening_with_a_reason_shows_the_contents_and_logs_the_opening(
    admin_client: Client, admin_user: User, quarantined: Upload, patient: Patient
) -> None:
    reason = "Vérification de l’identité du patient signalée par le déposant"

    opened = admin_client.post(_review_url(quarantined), {"reason": reason})

    assert opened.status_code == 200
    for shown in (
        "Compte rendu de Mme Autre",
        "Note de vaccination",
        "Deposantpromarque",
        "PATMARQUE",
        patient.nir_display,
        "INS différent",
        'name="decision" value="release"',
        'name="decision" value="discard"',
    ):
        assertContains(opened, shown)
    log = _review_logs(patient).get()
    assert (log.actor_id, log.role, log.action, log.what) == (
        admin_user.pk,
        "admin",
        "read",
        "upload",
    )
    assert reason not in log.what + log.actor_label
    quarantined.refresh_from_db()
    assert quarantined.review_reason == reason and quarantined.reviewed_by == admin_user
    # Each opening is logged, pointing at its own review row with its own reason;
    # the patient reads it in her access history.
    admin_client.post(_review_url(quarantined), {"reason": "Second contrôle, autre motif"})
    assert _review_logs(patient).count() == 2
    reviews = {
        log.object_id: QuarantineReview.objects.get(pk=log.object_id).reason
        for log in _review_logs(patient)
    }
    assert sorted(reviews.values()) == sorted([reason, "Second contrôle, autre motif"])
    assert set(QuarantineReview.objects.values_list("upload_id", flat=True)) == {quarantined.pk}
    history = Client()
    history.force_login(patient.user)  # type: ignore[arg-type]
    assertContains(history.get(reverse("consent:history")), "Contrôle d’un dépôt en quarantaine")


def test_a_closed_records_quarantine_cannot_be_opened(
    admin_client: Client, quarantined: Upload, patient: Patient
) -> None:
    """A closed record is invisible to everyone: its quarantined deposit too."""
    record_close(access=own_record_access(patient.user))  # type: ignore[arg-type]

    refused = admin_client.post(
        _review_url(quarantined), {"reason": "Vérification de l’identité du patient"}
    )

    assertContains(refused, "n’est plus ouvert")
    assertNotContains(refused, "PATMARQUE")
    assert not _review_logs(patient).exists()
    assert not QuarantineReview.objects.exists()


def test_the_reviewer_releases_the_upload_after_opening_it(
    admin_client: Client, quarantined: Upload, patient: Patient
) -> None:
    admin_client.post(_review_url(quarantined), {"reason": "Contrôle de l’INS du document"})

    released = committed(
        lambda: admin_client.post(_review_url(quarantined), {"decision": "release"})
    )

    assert released.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.state == UploadState.DONE and quarantined.released_at is not None
    assert Document.objects.filter(upload=quarantined).exists()


def test_no_decision_without_opening_first_and_no_review_of_other_uploads(
    admin_client: Client, login: Login, quarantined: Upload, patient: Patient
) -> None:
    """GIVEN an upload another admin opened WHEN this admin decides without opening it
    THEN nothing changes; and an upload out of quarantine has no review page."""
    other = User.objects.create_superuser(email="autre-admin@exemple.fr", password="y" * 16)
    login(Client(), other).post(_review_url(quarantined), {"reason": "Contrôle par un autre"})

    refused = admin_client.post(_review_url(quarantined), {"decision": "discard"})

    assert refused.status_code == 200
    assertContains(refused, "Ouvrez d’abord ce dépôt en indiquant le motif du contrôle")
    assertNotContains(refused, "Mme Autre")
    quarantined.refresh_from_db()
    assert quarantined.state == UploadState.QUARANTINED
    Upload.objects.filter(pk=quarantined.pk).update(state=UploadState.DONE)
    assert admin_client.get(_review_url(quarantined)).status_code == 404
    assert _review_logs(patient).count() == 1  # the other admin's opening only


def test_the_upload_lists_link_to_the_review_and_offer_no_bulk_release(
    admin_client: Client, quarantined: Upload
) -> None:
    """The technical admin's list and the console's quarantine list: metadata and
    the way to the review, nothing of the deposit, no bulk action."""
    listing = admin_client.get(reverse("admin:documents_upload_changelist"))
    console = admin_client.get(reverse("console-documents:quarantine"))

    for page in (listing, console):
        assertContains(page, _review_url(quarantined))
        for hidden in ("Mme Autre", "PATMARQUE", "Deposantpromarque", "INS différent"):
            assertNotContains(page, hidden)
        assertNotContains(page, 'name="action"')
    assertContains(console, "1 dépôt en quarantaine")


def test_the_quarantine_is_the_console_admins_alone(
    login: Login, quarantined: Upload, patient: Patient
) -> None:
    agent = login(Client(), UserFactory(email="nadia@exemple.fr", is_support_agent=True))

    for url in (reverse("console-documents:quarantine"), _review_url(quarantined)):
        assert agent.get(url).status_code == 404
    refused = agent.post(_review_url(quarantined), {"reason": "Je veux voir ce document"})
    assert refused.status_code == 404
    assert not _review_logs(patient).exists()
