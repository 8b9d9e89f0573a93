"""The access policy, enumerated: every actor kind × every item kind × every read path.

The expectation is the explicit table ``EXPECTED`` below, written from the rules
of ARCHITECTURE.md §2 and the default profession matrix, never computed by
calling the policy, so that a change in ``consent.policy`` that breaks a rule
fails here. Each test builds one small record for alice (one item of every
kind, plus hidden ones), one actor, and compares what the actor reads through
one path with the table, reporting every mismatching item at once.

Read paths: ``RecordAccess.entries(model)`` (SQL), ``RecordAccess.entry_or_404``,
``RecordAccess.timeline()``, and the professional pages ``pro:dashboard``,
``pro:section_list`` (every section), ``pro:timeline``, ``pro:section_edit``
(404 when invisible, 403 when visible but written by someone else, 200 for the
author) and ``pro:patient_list`` membership.

Items kept confidential from the guardians: invisible to guardians and
carers, and to a professional unless they wrote it or hold a basis that does
not come from a guardian (a share or a GP the minor chose, emergency access);
what a guardian granted (``*_by_guardian`` actors), and care relationships,
never reach them. Guardians at 18, carers' logging and documents are tested
in their own modules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from consent.models import (
    Block,
    CareRelationship,
    CarerGrant,
    ConsentSettings,
    DesignatedGP,
    EmergencyAccess,
    Guardianship,
    Share,
)
from consent.policy import (
    RecordAccess,
    carer_record_access,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from messpace.accounts.models import Professional, User
from records.models import (
    SECTION_MODELS,
    AuthorKind,
    Entry,
    HabitKind,
    HandicapKind,
    MeasureKind,
    Patient,
    Relative,
)
from records.sections import SECTIONS, SECTIONS_BY_KEY
from records.services import timeline_event_sync
from tests.factories import PatientUserFactory, ProfessionalFactory, UserFactory

NOW = dt.datetime(2024, 6, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
DAY = dt.timedelta(days=1)

# --- The items of alice's record -------------------------------------------------------

# name: (section, hidden from professionals, author: "patient" or "care", ICD-10 code)
ITEMS: dict[str, tuple[str, bool, str, str]] = {
    "condition": ("condition", False, "patient", "J45.0"),
    "mental_health": ("condition", False, "patient", "F32.1"),
    "treatment": ("treatment", False, "patient", ""),
    "hospitalisation": ("hospitalisation", False, "patient", ""),
    "handicap": ("handicap", False, "patient", ""),
    "allergy": ("allergy", False, "patient", ""),
    "family": ("family", False, "patient", ""),
    "habit": ("habit", False, "patient", ""),
    "vaccination": ("vaccination", False, "patient", ""),
    "measure": ("measure", False, "patient", ""),
    # Hidden by alice, written by herself.
    "hidden": ("treatment", True, "patient", ""),
    # Hidden by alice, written by the care-relationship professional.
    "hidden_by_care": ("condition", True, "care", "I10"),
    # Written by the care-relationship professional, confidential from the guardians.
    "confidential": ("treatment", False, "care", ""),
}
COLUMNS = tuple(ITEMS)
CONFIDENTIAL_FROM_GUARDIANS = {"confidential"}
ALICE_BIRTH = dt.date(2008, 1, 15)  # 16 on NOW

# --- The expectation: Y visible, . invisible; DENIED: no access at all (404) ------------

DENIED = None
Y, N = True, False
#        cond  F32  trt  hosp hcp  allg fam  hab  vacc meas hidden hidden_by_care confidential
EXPECTED: dict[str, tuple[bool, ...] | None] = {
    "patient":            (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y),
    "designated_gp":      (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y),
    "care":               (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   N,   Y,   Y),
    "share_whole":        (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   N,   N,   Y),
    # Shared sections: conditions (mental health included) and treatments.
    "share_sections":     (Y,   Y,   Y,   N,   N,   N,   N,   N,   N,   N,   N,   N,   Y),
    "share_expired":      DENIED,
    "share_revoked":      DENIED,
    "care_ended":         DENIED,
    "blocked":            DENIED,
    "unrelated":          DENIED,
    "emergency":          (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   N,   N,   Y),
    "emergency_expired":  DENIED,
    "emergency_refused":  DENIED,
    # A care relationship is no basis the minor set up: not what is kept from the guardians.
    "pharmacist":         (N,   N,   Y,   N,   N,   Y,   N,   N,   Y,   Y,   N,   N,   N),
    "physiotherapist":    (Y,   N,   Y,   Y,   Y,   Y,   N,   Y,   N,   Y,   N,   N,   N),
    # What a guardian granted never reaches what is kept confidential from the guardians.
    "share_whole_by_guardian": (Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, N, N, N),
    "share_sections_by_guardian": (Y, Y, Y, N, N, N, N, N, N, N, N, N, N),
    "gp_by_guardian":     (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   N),
    # The guardian shared everything, the minor only vaccinations: the minor's basis
    # does not open the treatments kept from the guardians.
    "share_by_guardian_and_minor": (Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, N, N, N),
    # The minor shared the treatments: that reaches the one kept from the guardians.
    "share_by_minor_treatments": (N, N, Y, N, N, N, N, N, N, N, N, N, Y),
    "support_agent":      DENIED,
    "admin":              DENIED,
    # A blocked urgentiste who keeps a (blocked) care relationship breaks the glass.
    "blocked_emergency":  (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   N,   N,   Y),
    # An urgentiste with a share of treatments only breaks the glass: the emergency
    # view is the whole matrix, not the narrower share.
    "share_sections_emergency": (Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, N, N, Y),
    # A legal guardian acts as alice: everything but what is confidential from them.
    "guardian":           (Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   Y,   N),
    "guardian_ended":     DENIED,
    # A carer with treatments and allergies: hidden items too (hidden from
    # professionals only), not what is confidential from the family.
    "carer_scoped":       (N,   N,   Y,   N,   N,   Y,   N,   N,   N,   N,   Y,   N,   N),
    # A carer whose grant covers vaccinations only.
    "carer_other_scope":  (N,   N,   N,   N,   N,   N,   N,   N,   Y,   N,   N,   N,   N),
    "carer_revoked":      DENIED,
    "carer_expired":      DENIED,
    "carer_not_accepted": DENIED,
}  # fmt: skip
# Actors with professional pages; the others get 404 there.
PROFESSIONAL_ACTORS = {
    actor
    for actor in EXPECTED
    if actor not in {"patient", "support_agent", "admin"}
    and not actor.startswith(("guardian", "carer"))
}
# Actors of the patient-side pages (``records:*``) and of the carer pages (``carer:*``).
PATIENT_SIDE_ACTORS = ("patient", "guardian", "guardian_ended")
CARER_ACTORS = tuple(actor for actor in EXPECTED if actor.startswith("carer"))

# The basis each granted actor's reads are established (and logged) on.
EXPECTED_BASIS: dict[str, str] = {
    "patient": "self",
    "designated_gp": "gp",
    "care": "care",
    "share_whole": "share",
    "share_sections": "share",
    "emergency": "emergency",
    "pharmacist": "care",
    "physiotherapist": "care",
    "share_whole_by_guardian": "share",
    "share_sections_by_guardian": "share",
    "gp_by_guardian": "gp",
    "share_by_guardian_and_minor": "share",
    "share_by_minor_treatments": "share",
    "blocked_emergency": "emergency",
    "share_sections_emergency": "emergency",
    "guardian": "guardian",
    "carer_scoped": "carer",
    "carer_other_scope": "carer",
}


def expected_visible(actor: str) -> set[str] | None:
    row = EXPECTED[actor]
    if row is None:
        return None
    return {name for name, seen in zip(COLUMNS, row, strict=True) if seen}


# --- Building the world ----------------------------------------------------------------


def item_data(section: str, label: str, day: dt.date, icd10: str = "") -> dict[str, Any]:
    """Plausible fields for one entry of ``section`` whose listed text is ``label``."""
    noon = dt.datetime.combine(day, dt.time(12, 0), tzinfo=ZoneInfo("Europe/Paris"))
    return {
        "condition": {"label": label, "icd10_code": icd10 or "J45.0", "start_date": day},
        "treatment": {"medicine": label, "dose": "1 cp", "start_date": day},
        "hospitalisation": {"place": "CHU", "reason": label, "admission_date": day},
        "handicap": {"kind": HandicapKind.MOTOR, "label": label, "since": day},
        "allergy": {"substance": label, "since": day},
        "family": {"relative": Relative.MOTHER, "condition": label},
        "habit": {"kind": HabitKind.TOBACCO, "description": label, "since": day},
        "vaccination": {"vaccine": label, "date": day},
        "measure": {
            "kind": MeasureKind.WEIGHT,
            "value": Decimal("70.0"),
            "measured_at": noon,
            "notes": label,
        },
    }[section]


def make_entry(
    patient: Patient,
    section: str,
    label: str,
    *,
    day: dt.date,
    author: User | None = None,
    hidden: bool = False,
    icd10: str = "",
    deleted: bool = False,
    confidential: bool = False,
) -> Entry:
    """Store one entry and its timeline row directly (set-up only: no access check)."""
    model = SECTION_MODELS[section]
    entry = model.objects.create(
        patient=patient,
        author=author or patient.user,
        author_kind=AuthorKind.PROFESSIONAL if author else AuthorKind.PATIENT,
        hidden_from_professionals=hidden,
        confidential_from_guardians=confidential,
        deleted_at=dt.datetime.now(tz=dt.UTC) - DAY if deleted else None,
        **item_data(section, label, day, icd10),
    )
    timeline_event_sync(entry=entry)
    return entry


def _pro(profession: str = "generaliste") -> Professional:
    return ProfessionalFactory(profession=profession)


def _care(pro: Professional, patient: Patient) -> Professional:
    CareRelationship.objects.create(professional=pro, patient=patient)
    return pro


def _emergency(pro: Professional, patient: Patient, *, expires_at: dt.datetime) -> None:
    EmergencyAccess.objects.create(
        patient=patient,
        professional=pro,
        reason="Patient inconscient aux urgences",
        started_at=NOW - dt.timedelta(hours=1),
        expires_at=expires_at,
    )


def make_actor(kind: str, patient: Patient, care_author: Professional) -> User:
    """The user of one actor kind, with the grants that kind has on ``patient``."""
    if kind == "patient":
        assert patient.user is not None
        return patient.user
    if kind == "care":
        return care_author.user
    if kind == "support_agent":
        return UserFactory(is_support_agent=True)
    if kind == "admin":
        return UserFactory(is_staff=True, is_superuser=True)
    if kind == "pharmacist":
        return _care(_pro("pharmacien"), patient).user
    if kind == "physiotherapist":
        return _care(_pro("kinesitherapeute"), patient).user
    if kind in {"emergency", "emergency_expired", "emergency_refused"}:
        pro = _pro("urgentiste")
        expired = kind == "emergency_expired"
        _emergency(pro, patient, expires_at=NOW - dt.timedelta(minutes=1) if expired else NOW + DAY)
        if kind == "emergency_refused":
            ConsentSettings.objects.create(patient=patient, refuses_emergency_access=True)
        return pro.user
    if kind == "blocked_emergency":
        pro = _care(_pro("urgentiste"), patient)
        Block.objects.create(patient=patient, professional=pro)
        _emergency(pro, patient, expires_at=NOW + DAY)
        return pro.user
    if kind.startswith("guardian"):
        parent = UserFactory(first_name="Paul", last_name="MARTIN")
        ended = {"ended_at": NOW - DAY, "end_reason": "removed"} if kind.endswith("ended") else {}
        Guardianship.objects.create(patient=patient, guardian=parent, **ended)
        return parent
    if kind.startswith("carer"):
        carer = UserFactory(first_name="Carole", last_name="MARTIN")
        sections = ["vaccination"] if kind == "carer_other_scope" else ["treatment", "allergy"]
        CarerGrant.objects.create(
            patient=patient,
            carer=carer,
            invited_email=carer.email,
            token_hash=f"{kind}-{patient.pk}".ljust(64, "0"),
            sections=sections,
            expires_at=NOW - DAY if kind == "carer_expired" else NOW + 30 * DAY,
            accepted_at=None if kind == "carer_not_accepted" else NOW - 2 * DAY,
            revoked_at=NOW - DAY if kind == "carer_revoked" else None,
        )
        return carer
    if kind == "share_sections_emergency":
        pro = _pro("urgentiste")
        Share.objects.create(patient=patient, professional=pro, section="treatment")
        _emergency(pro, patient, expires_at=NOW + DAY)
        return pro.user
    pro = _pro()
    if kind == "designated_gp":
        DesignatedGP.objects.create(patient=patient, professional=pro)
    elif kind == "gp_by_guardian":
        DesignatedGP.objects.create(patient=patient, professional=pro, designated_by_guardian=True)
    elif kind == "share_whole_by_guardian":
        Share.objects.create(patient=patient, professional=pro, granted_by_guardian=True)
    elif kind == "share_sections_by_guardian":
        for section in ("condition", "treatment"):
            Share.objects.create(
                patient=patient, professional=pro, section=section, granted_by_guardian=True
            )
    elif kind == "share_by_guardian_and_minor":
        Share.objects.create(patient=patient, professional=pro, granted_by_guardian=True)
        Share.objects.create(patient=patient, professional=pro, section="vaccination")
    elif kind == "share_by_minor_treatments":
        Share.objects.create(patient=patient, professional=pro, section="treatment")
    elif kind == "share_whole":
        Share.objects.create(patient=patient, professional=pro, expires_at=NOW + 30 * DAY)
    elif kind == "share_sections":
        for section in ("condition", "treatment"):
            Share.objects.create(patient=patient, professional=pro, section=section)
    elif kind == "share_expired":
        Share.objects.create(patient=patient, professional=pro, expires_at=NOW - DAY)
    elif kind == "share_revoked":
        Share.objects.create(patient=patient, professional=pro, revoked_at=NOW - DAY)
    elif kind == "care_ended":
        CareRelationship.objects.create(professional=pro, patient=patient, ended_at=NOW - DAY)
    elif kind == "blocked":
        _care(pro, patient)
        Block.objects.create(patient=patient, professional=pro)
    else:
        assert kind == "unrelated", kind
    return pro.user


@dataclass
class World:
    patient: Patient
    actor: User
    items: dict[str, Entry]

    def name_of(self, section: str, pk: int) -> str | None:
        for name, entry in self.items.items():
            if entry.section == section and entry.pk == pk:
                return name
        return None


def build_world(actor_kind: str) -> World:
    alice = PatientUserFactory(given_names="Alice", birth_names="MARTIN", birth_date=ALICE_BIRTH)
    care_author = _care(_pro(), alice)
    items: dict[str, Entry] = {}
    for i, (name, (section, hidden, author, icd10)) in enumerate(ITEMS.items()):
        items[name] = make_entry(
            alice,
            section,
            f"item-{name}",
            day=NOW.date() - (i + 1) * DAY,
            author=care_author.user if author == "care" else None,
            hidden=hidden,
            icd10=icd10,
            confidential=name in CONFIDENTIAL_FROM_GUARDIANS,
        )
    # Deleted entries are invisible to everyone, the patient included.
    make_entry(alice, "treatment", "item-deleted", day=NOW.date() - DAY, deleted=True)
    return World(alice, make_actor(actor_kind, alice, care_author), items)


def access_of(actor_kind: str, world: World) -> RecordAccess:
    if actor_kind == "patient":
        return own_record_access(world.actor)
    if actor_kind.startswith("guardian"):
        return guardian_record_access(world.actor, world.patient.pk)
    if actor_kind.startswith("carer"):
        return carer_record_access(world.actor, world.patient.pk)
    return professional_record_access(world.actor, world.patient.pk)


# --- Reading through each path ---------------------------------------------------------


def read_entries(world: World, access: RecordAccess) -> set[str]:
    return {
        name
        for name, entry in world.items.items()
        if entry.pk in set(access.entries(type(entry)).values_list("pk", flat=True))
    }


def read_entry_or_404(world: World, access: RecordAccess) -> set[str]:
    seen = set()
    for name, entry in world.items.items():
        try:
            access.entry_or_404(type(entry), entry.pk)
        except Http404:
            continue
        seen.add(name)
    return seen


def read_timeline(world: World, access: RecordAccess) -> set[str]:
    rows = access.timeline().values_list("kind", "source_id")
    names = {world.name_of(kind, pk) for kind, pk in rows}
    assert None not in names, "the timeline shows an event outside alice's items"
    return names  # type: ignore[return-value]


POLICY_PATHS: dict[str, Callable[[World, RecordAccess], set[str]]] = {
    "entries": read_entries,
    "entry_or_404": read_entry_or_404,
    "timeline": read_timeline,
}


Url = Callable[..., str]


def pro_url(world: World) -> Url:
    return lambda name, *args: reverse(f"pro:{name}", args=[world.patient.pk, *args])


def page_dashboard(world: World, client: Client, url: Url) -> set[str] | None:
    response = client.get(url("dashboard"))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    shown: set[str | None] = set()
    counted = 0
    for section, summary in response.context["summaries"]:
        shown |= {world.name_of(section.key, e.pk) for e in summary.latest}
        counted += summary.count
    shown |= {world.name_of("measure", m.pk) for _label, m in response.context["latest_measures"]}
    shown |= {world.name_of(e.kind, e.source_id) for e in response.context["events"]}
    assert None not in shown
    # Counts come from a separate aggregate: they must agree with what is listed.
    assert counted == len({n for n in shown if ITEMS[n][0] != "measure"})  # type: ignore[index]
    return shown  # type: ignore[return-value]


def page_section_list(world: World, client: Client, url: Url) -> set[str] | None:
    shown: set[str | None] = set()
    statuses = set()
    for section in SECTIONS:
        response = client.get(url("section_list", section.slug))
        statuses.add(response.status_code)
        if response.status_code == 200:
            shown |= {world.name_of(section.key, e.pk) for e in response.context["page"]}
    # Without access every section answers 404; with access, a section the
    # profession may not see answers 404 too (never an empty list).
    if statuses == {404}:
        return None
    assert statuses <= {200, 404}, statuses
    assert None not in shown
    return shown  # type: ignore[return-value]


def page_timeline(world: World, client: Client, url: Url) -> set[str] | None:
    response = client.get(url("timeline"))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    shown = {world.name_of(e.kind, e.source_id) for e in response.context["page"]}
    assert None not in shown
    return shown  # type: ignore[return-value]


PAGE_PATHS: dict[str, Callable[[World, Client, Url], set[str] | None]] = {
    "pro:dashboard": page_dashboard,
    "pro:section_list": page_section_list,
    "pro:timeline": page_timeline,
}


def _cases(paths: list[str]) -> list[Any]:
    return [
        pytest.param(
            actor,
            path,
            id=f"{actor}-{path}",
        )
        for actor in EXPECTED
        for path in paths
    ]


def _diff(want: set[str] | None, got: set[str] | None) -> list[str]:
    if want is None or got is None:
        return [] if want == got else [f"access: want {want!r}, got {got!r}"]
    return [
        f"{name}: want {'visible' if name in want else 'invisible'}, "
        f"got {'visible' if name in got else 'invisible'}"
        for name in COLUMNS
        if (name in want) != (name in got)
    ]


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


# --- The tests -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("actor", "path"), _cases(list(POLICY_PATHS)))
def test_policy_read_path_matches_the_matrix(actor: str, path: str) -> None:
    world = build_world(actor)
    want = expected_visible(actor)

    try:
        access = access_of(actor, world)
    except Http404:
        got = None
    else:
        got = POLICY_PATHS[path](world, access)

    assert not _diff(want, got), f"{actor} × {path}:\n" + "\n".join(_diff(want, got))


@pytest.mark.django_db
@pytest.mark.parametrize(("actor", "path"), _cases(list(PAGE_PATHS)))
def test_professional_page_matches_the_matrix(
    actor: str, path: str, client: Client, login: Callable[[Client, User], Client]
) -> None:
    world = build_world(actor)
    # Only professionals have these pages: patients, guardians, carers, agents
    # and admins get 404.
    want = expected_visible(actor) if actor in PROFESSIONAL_ACTORS else None

    got = PAGE_PATHS[path](world, login(client, world.actor), pro_url(world))

    assert not _diff(want, got), f"{actor} × {path}:\n" + "\n".join(_diff(want, got))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "path"),
    [
        pytest.param(actor, path, id=f"{actor}-{path.removeprefix('pro:')}")
        for actor in (*PATIENT_SIDE_ACTORS, *CARER_ACTORS)
        for path in PAGE_PATHS
    ],
)
def test_patient_guardian_and_carer_pages_match_the_matrix(
    actor: str, path: str, client: Client, login: Callable[[Client, User], Client]
) -> None:
    """The patient's pages (``records:*``), seen by alice or by a guardian who
    switched into her record, and the carer pages (``carer:*``)."""
    world = build_world(actor)
    client = login(client, world.actor)
    url: Url
    if actor.startswith("carer"):
        url = lambda name, *args: reverse(f"carer:{name}", args=[world.patient.pk, *args])  # noqa: E731
    else:
        url = lambda name, *args: reverse(f"records:{name}", args=args)  # noqa: E731
        if actor.startswith("guardian"):
            switched = client.post(reverse("records:act_for", args=[world.patient.pk]))
            assert switched.status_code == (404 if actor == "guardian_ended" else 302)
    want = expected_visible(actor)

    got = PAGE_PATHS[path](world, client, url)

    assert not _diff(want, got), f"{actor} × {path}:\n" + "\n".join(_diff(want, got))


@pytest.mark.django_db
@pytest.mark.parametrize(("actor", "path"), _cases(["pro:section_edit"]))
def test_section_edit_answers_404_when_invisible_403_when_not_theirs(
    actor: str, path: str, client: Client, login: Callable[[Client, User], Client]
) -> None:
    """GIVEN each item of alice's record
    WHEN the actor opens its edit page
    THEN 404 if they may not see it, 403 if they see it but did not write it, 200 if theirs.
    """
    world = build_world(actor)
    visible = (expected_visible(actor) if actor in PROFESSIONAL_ACTORS else None) or set()
    client = login(client, world.actor)

    mismatches = []
    for name, entry in world.items.items():
        url = reverse(
            "pro:section_edit",
            args=[world.patient.pk, SECTIONS_BY_KEY[entry.section].slug, entry.pk],
        )
        if name not in visible:
            want = 404
        elif entry.author_id == world.actor.pk:
            want = 200
        else:
            want = 403
        got = client.get(url).status_code
        if got != want:
            mismatches.append(f"{name}: want {want}, got {got}")

    assert not mismatches, f"{actor} × {path}:\n" + "\n".join(mismatches)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", list(EXPECTED))
def test_patient_list_lists_the_patient_iff_the_actor_has_access(
    actor: str, client: Client, login: Callable[[Client, User], Client]
) -> None:
    world = build_world(actor)

    response = login(client, world.actor).get(reverse("pro:patient_list"))

    if actor not in PROFESSIONAL_ACTORS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    listed = world.patient in list(response.context["page"].object_list)
    assert listed == (EXPECTED[actor] is not None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actor",
    [
        pytest.param(
            actor,
        )
        for actor in EXPECTED_BASIS
    ],
)
def test_access_is_established_on_the_expected_basis(actor: str) -> None:
    world = build_world(actor)

    access = access_of(actor, world)

    assert access.basis == EXPECTED_BASIS[actor]
    # Only the patient's side (guardians and carers included) and the designated
    # GP see hidden items (besides their author).
    assert access.sees_hidden == (
        actor
        in {
            "patient",
            "designated_gp",
            "gp_by_guardian",
            "guardian",
            "carer_scoped",
            "carer_other_scope",
        }
    )


def test_the_matrix_table_covers_every_section_and_mental_health() -> None:
    """The table must grow with the record: a new section without a column fails here."""
    sections_in_table = {section for section, _h, _a, _c in ITEMS.values()}
    assert sections_in_table == set(SECTION_MODELS)
    assert any(code.startswith("F") for _s, _h, _a, code in ITEMS.values())
    assert all(row is None or len(row) == len(COLUMNS) for row in EXPECTED.values())


@pytest.mark.django_db
def test_section_hidden_by_the_matrix_answers_404_not_an_empty_list(
    alice: Any, client: Client, login: Any
) -> None:
    """GIVEN a pharmacist in a care relationship WHEN they open a section their
    profession may not see (conditions) THEN it answers 404 and is absent from the
    side menu, so "nothing recorded" is never shown for "not allowed to know"."""
    from tests.factories import CareRelationshipFactory, ProfessionalFactory

    pharmacist = ProfessionalFactory(profession="pharmacien")
    CareRelationshipFactory(professional=pharmacist, patient=alice)
    login(client, pharmacist.user)

    hidden = client.get(reverse("pro:section_list", args=[alice.pk, "maladies"]))
    shown = client.get(reverse("pro:section_list", args=[alice.pk, "traitements"]))

    assert hidden.status_code == 404
    assert shown.status_code == 200
    assert "/maladies/" not in shown.content.decode()
