"""The access policy against an independent oracle, on random small worlds.

Hypothesis builds 2–3 patients and 3–4 professionals of random professions with
random designated GPs, care relationships (open or ended), shares (whole
record, some sections, expired, revoked), blocks, emergency accesses (active or
expired), refusals of emergency access, matrix overrides and entries in random
sections (some F-coded conditions, some hidden, some deleted, some written by a
professional, some confidential from the guardians). For every (professional,
patient) pair the SQL policy must agree with ``oracle_*`` below, written from
the rules of ARCHITECTURE.md §2 without calling ``consent.policy``; and no
invisible entry's text may reach the HTML of the professional pages.
While the patient is a minor, an entry kept confidential from the guardians
reaches a professional only through a basis not granted by a guardian (a share or a GP the minor chose,
emergency access; shares and GPs are granted by a guardian at random), or as
its author; never through a care relationship.

Legal guardians: each patient is an adult (about 40, or 18 this very day) or a
minor (about 10 or 16, or 18 tomorrow) and has 0–2 guardianships, live or ended,
held by users of a pool of 2–3 plain users. A guardian sees the whole record of a minor they
hold a live guardianship of, hidden items included, except the entries kept
confidential from the guardians and the deleted ones; nothing of anyone else's.
For every (guardian user, patient) pair ``guardian_record_access`` (404 or
not), ``entries()``, ``entry_or_404`` and ``timeline()`` must agree with
``oracle_guardian*``, ``guardian_patients`` must list exactly the granted
patients, ``records:act_for`` must answer 404 for the others, and, once acting
for a granted child, no invisible entry's text may reach the HTML of the
patient-side dashboard, timeline and section lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.models import (
    Block,
    CareRelationship,
    ConsentSettings,
    DesignatedGP,
    EmergencyAccess,
    Guardianship,
    GuardianshipEnd,
    ProfessionVisibility,
    Share,
)
from consent.policy import (
    RecordAccess,
    guardian_patients,
    guardian_record_access,
    professional_patients,
    professional_record_access,
)
from consent.visibility import DEFAULT_MATRIX
from messpace.accounts.models import Profession, Professional, User
from records.models import SECTION_MODELS, Entry, ItemKind, Patient, TimelineEvent
from records.sections import SECTIONS_BY_KEY
from records.services import timeline_event_sync
from tests.conftest import _verified_login
from tests.consent.test_policy_matrix import make_entry
from tests.factories import PatientUserFactory, ProfessionalFactory, UserFactory

SECTIONS = sorted(SECTION_MODELS)
PROFESSIONS = sorted(Profession.values)
DOCTORS = {Profession.GENERAL_PRACTITIONER, Profession.SPECIALIST}
SHARE_KINDS = ("none", "whole", "sections", "expired", "revoked")
# A patient's age on the day the test runs: "18_today" is their 18th birthday
# (an adult), "18_tomorrow" the day before (still a minor).
AGES = ("adult", "10", "16", "18_tomorrow", "18_today")
MINOR_AGES = {"10", "16", "18_tomorrow"}
DAY = dt.timedelta(days=1)


# --- The world, as plain data ----------------------------------------------------------


@dataclass
class PairSpec:
    care: str  # "none" | "open" | "ended"
    share: str  # one of SHARE_KINDS
    share_sections: tuple[str, ...]
    blocked: bool
    emergency: str  # "none" | "active" | "expired"
    share_by_guardian: bool = False  # the share was granted by a legal guardian


@dataclass
class EntrySpec:
    section: str
    mental: bool
    hidden: bool
    deleted: bool
    author: int | None  # index of the professional who wrote it, None: the patient
    confidential: bool = False  # kept confidential from the patient's guardians


@dataclass
class WorldSpec:
    professions: list[str]
    gp: list[int | None]  # per patient
    refuses: list[bool]  # per patient
    pairs: dict[tuple[int, int], PairSpec]  # (patient, professional)
    entries: list[list[EntrySpec]]  # per patient
    override: tuple[str, str, bool] | None  # one ProfessionVisibility row changed
    removed_row: tuple[str, str] | None  # one ProfessionVisibility row deleted
    n_guardians: int = 0  # the pool of plain users who may be guardians
    ages: list[str] = field(default_factory=list)  # per patient, one of AGES
    # Per patient: (guardian index in the pool, live) for each guardianship.
    guardianships: list[list[tuple[int, bool]]] = field(default_factory=list)
    # Per patient: the designated GP was chosen by a legal guardian.
    gp_by_guardian: list[bool] = field(default_factory=list)


@st.composite
def worlds(draw: st.DrawFn) -> WorldSpec:
    n_patients = draw(st.integers(2, 3))
    professions = draw(st.lists(st.sampled_from(PROFESSIONS), min_size=3, max_size=4))
    doctors = [i for i, p in enumerate(professions) if p in DOCTORS]
    gp = [draw(st.sampled_from([None, *doctors])) for _ in range(n_patients)]
    refuses = [draw(st.booleans()) for _ in range(n_patients)]
    pairs = {}
    for p in range(n_patients):
        for q, profession in enumerate(professions):
            emergency = (
                draw(st.sampled_from(["none", "active", "expired"]))
                if profession == Profession.EMERGENCY_PHYSICIAN
                else "none"
            )
            pairs[(p, q)] = PairSpec(
                care=draw(st.sampled_from(["none", "open", "ended"])),
                share=draw(st.sampled_from(SHARE_KINDS)),
                share_sections=tuple(
                    draw(st.lists(st.sampled_from(SECTIONS), min_size=1, max_size=3, unique=True))
                ),
                blocked=draw(st.booleans()) and draw(st.booleans()),
                emergency=emergency,
                share_by_guardian=draw(st.booleans()),
            )
    entry = st.builds(
        EntrySpec,
        section=st.sampled_from(SECTIONS),
        mental=st.booleans(),
        hidden=st.booleans(),
        deleted=st.integers(0, 5).map(lambda n: n == 0),
        author=st.one_of(st.none(), st.integers(0, len(professions) - 1)),
        confidential=st.integers(0, 2).map(lambda n: n == 0),
    )
    entries = [draw(st.lists(entry, max_size=6)) for _ in range(n_patients)]
    kinds = st.sampled_from(sorted(ItemKind.values))
    override = draw(st.none() | st.tuples(st.sampled_from(PROFESSIONS), kinds, st.booleans()))
    removed = draw(st.none() | st.tuples(st.sampled_from(PROFESSIONS), kinds))
    n_guardians = draw(st.integers(2, 3))
    ages = [draw(st.sampled_from(AGES)) for _ in range(n_patients)]
    # The same user may hold an ended and a live guardianship of one child, not two live.
    guardianship = st.tuples(st.integers(0, n_guardians - 1), st.booleans())
    guardianships = [
        draw(st.lists(guardianship, max_size=2, unique=True)) for _ in range(n_patients)
    ]
    return WorldSpec(
        professions,
        gp,
        refuses,
        pairs,
        entries,
        override,
        removed,
        n_guardians,
        ages,
        guardianships,
        gp_by_guardian=[draw(st.booleans()) for _ in range(n_patients)],
    )


# --- The oracle: the rules, in Python, from the spec alone ------------------------------


def oracle_matrix(spec: WorldSpec, profession: str) -> set[str]:
    """Defaults, then the rows: a changed row wins; a deleted row falls back to the default."""
    kinds = set(DEFAULT_MATRIX.get(profession, frozenset()))
    if spec.override and spec.override[0] == profession and spec.override[:2] != spec.removed_row:
        _p, kind, visible = spec.override
        if visible:
            kinds.add(kind)
        else:
            kinds.discard(kind)
    return kinds


@dataclass
class Grant:
    kinds: set[str]
    sees_hidden: bool
    # The kinds whose entries kept confidential from the guardians it sees.
    confidential_kinds: set[str] = field(default_factory=set)


def oracle_grant(spec: WorldSpec, p: int, q: int) -> Grant | None:
    pair = spec.pairs[(p, q)]
    is_gp = spec.gp[p] == q
    care = pair.care == "open"
    share = pair.share in {"whole", "sections"}
    emergency = pair.emergency == "active" and not spec.refuses[p]
    matrix = oracle_matrix(spec, spec.professions[q])
    shared = set(pair.share_sections) if pair.share == "sections" else set(matrix)
    if "condition" in shared:
        shared.add(ItemKind.MENTAL_HEALTH)
    # A block shuts out every basis but emergency access.
    if pair.blocked:
        return Grant(matrix, False, set(matrix)) if emergency else None
    # What reaches the entries kept from the guardians: no basis a guardian granted;
    # from 18 there are no guardians, and everything the grant shows.
    reached: set[str] = set()
    if emergency or (is_gp and not (spec.gp_by_guardian and spec.gp_by_guardian[p])):
        reached |= matrix
    if share and not pair.share_by_guardian:
        reached |= matrix & shared
    if spec.ages and spec.ages[p] not in MINOR_AGES:
        reached = set(matrix)
    if is_gp:
        return Grant(matrix, True, reached & matrix)
    if care or emergency or pair.share == "whole":
        return Grant(matrix, False, reached & matrix)
    if share:
        return Grant(matrix & shared, False, reached & matrix & shared)
    return None


def oracle_kind(e: EntrySpec) -> str:
    return ItemKind.MENTAL_HEALTH if e.section == "condition" and e.mental else e.section


def oracle_sees(grant: Grant, e: EntrySpec, q: int) -> bool:
    if e.deleted or oracle_kind(e) not in grant.kinds:
        return False
    if e.confidential and oracle_kind(e) not in grant.confidential_kinds and e.author != q:
        return False
    return not e.hidden or grant.sees_hidden or e.author == q


def oracle_guardian(spec: WorldSpec, p: int, g: int) -> bool:
    """A live guardianship of a minor (every record here is active and the pool
    holds no patient)."""
    live = any(holder == g and is_live for holder, is_live in spec.guardianships[p])
    return live and spec.ages[p] in MINOR_AGES


def oracle_guardian_sees(e: EntrySpec) -> bool:
    """A guardian sees every section and the hidden items, not the confidential ones."""
    return not e.deleted and not e.confidential


# --- Building the world in the database --------------------------------------------------


@dataclass
class Built:
    patients: list[Patient]
    pros: list[Professional]
    guardians: list[User] = field(default_factory=list)
    entries: list[list[tuple[EntrySpec, Entry, str]]] = field(default_factory=list)


def years_before(day: dt.date, years: int, *, leap_day: dt.date) -> dt.date:
    """The same day ``years`` earlier, or ``leap_day`` for a 29 February that year lacks."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return leap_day


def birth_date(age: str, today: dt.date) -> dt.date:
    """A birth date giving the age class ``age`` on ``today``."""
    match age:
        case "adult":
            return dt.date(today.year - 40, 1, 1)
        case "18_today":
            # On 29 February: born on 28 February, 18 since yesterday.
            return years_before(today, 18, leap_day=dt.date(today.year - 18, 2, 28))
        case "18_tomorrow":
            # On 28 February of a leap year: born on 1 March, 18 the day after tomorrow.
            return years_before(today + DAY, 18, leap_day=dt.date(today.year - 18, 3, 1))
        case _:
            return dt.date(today.year - int(age), 1, 1)


def make_confidential(entry: Entry) -> None:
    type(entry).objects.filter(pk=entry.pk).update(confidential_from_guardians=True)
    entry.confidential_from_guardians = True
    timeline_event_sync(entry=entry)


def build(spec: WorldSpec) -> Built:
    now = dt.datetime.now(tz=dt.UTC)
    today = timezone.localdate()
    built = Built(
        patients=[PatientUserFactory(birth_date=birth_date(age, today)) for age in spec.ages],
        pros=[
            ProfessionalFactory(
                profession=p, specialty="cardiologie" if p == Profession.SPECIALIST else ""
            )
            for p in spec.professions
        ],
        guardians=[UserFactory() for _ in range(spec.n_guardians)],
    )
    if spec.override:
        profession, kind, visible = spec.override
        ProfessionVisibility.objects.update_or_create(
            profession=profession, item_kind=kind, defaults={"visible": visible}
        )
    if spec.removed_row:
        profession, kind = spec.removed_row
        ProfessionVisibility.objects.filter(profession=profession, item_kind=kind).delete()
    for p, patient in enumerate(built.patients):
        if spec.gp[p] is not None:
            DesignatedGP.objects.create(
                patient=patient,
                professional=built.pros[spec.gp[p]],
                designated_by_guardian=bool(spec.gp_by_guardian and spec.gp_by_guardian[p]),
            )
        if spec.refuses[p]:
            ConsentSettings.objects.create(patient=patient, refuses_emergency_access=True)
        for g, live in spec.guardianships[p]:
            Guardianship.objects.create(
                patient=patient,
                guardian=built.guardians[g],
                started_at=now - 3 * DAY,
                ended_at=None if live else now - DAY,
                end_reason="" if live else GuardianshipEnd.REMOVED,
            )
        for q, pro in enumerate(built.pros):
            pair = spec.pairs[(p, q)]
            if pair.care != "none":
                CareRelationship.objects.create(
                    professional=pro,
                    patient=patient,
                    ended_at=now - DAY if pair.care == "ended" else None,
                )
            sections = pair.share_sections if pair.share == "sections" else ("",)
            if pair.share != "none":
                for section in sections:
                    Share.objects.create(
                        patient=patient,
                        professional=pro,
                        section=section,
                        expires_at=now - DAY if pair.share == "expired" else now + DAY,
                        revoked_at=now - DAY if pair.share == "revoked" else None,
                        granted_by_guardian=pair.share_by_guardian,
                    )
            if pair.blocked:
                Block.objects.create(patient=patient, professional=pro)
            if pair.emergency != "none":
                EmergencyAccess.objects.create(
                    patient=patient,
                    professional=pro,
                    reason="Arrêt cardiaque, patient inconscient",
                    started_at=now - 2 * DAY,
                    expires_at=now + DAY if pair.emergency == "active" else now - DAY,
                )
        rows = []
        for i, e in enumerate(spec.entries[p]):
            label = f"lbl{p}x{i}q"
            entry = make_entry(
                patient,
                e.section,
                label,
                day=timezone.localdate() - (i + 1) * DAY,
                author=built.pros[e.author].user if e.author is not None else None,
                hidden=e.hidden,
                icd10="F41.1" if e.mental else "K21.0",
                deleted=e.deleted,
            )
            if e.confidential:
                make_confidential(entry)
            rows.append((e, entry, label))
        built.entries.append(rows)
    return built


# --- The property -----------------------------------------------------------------------

Rows = list[tuple[EntrySpec, Entry, str]]


def page_urls(rows: Rows, patient: Patient | None) -> dict[str, str]:
    """Dashboard, timeline and the lists of the rows' sections: the professional
    pages of ``patient``, or (``None``) the patient-side pages of the record the
    session acts for."""
    if patient is None:
        urls = {
            "dashboard": reverse("records:dashboard"),
            "timeline": reverse("records:timeline"),
        }
    else:
        urls = {
            "dashboard": reverse("pro:dashboard", args=[patient.pk]),
            "timeline": reverse("pro:timeline", args=[patient.pk]),
        }
    for section in {e.section for e, _entry, _label in rows}:
        slug = SECTIONS_BY_KEY[section].slug
        urls[section] = (
            reverse("records:section_list", args=[slug])
            if patient is None
            else reverse("pro:section_list", args=[patient.pk, slug])
        )
    return urls


def check_pages(
    client: Client,
    urls: dict[str, str],
    rows: Rows,
    seen: set[tuple[str, int]],
    statuses: tuple[int, ...],
) -> None:
    """No invisible entry's text in the pages; visible ones are listed."""
    html = {}
    for name, url in urls.items():
        response = client.get(url)
        # A section the profession may not see answers 404: nothing of it is shown.
        assert response.status_code in statuses, (name, response.status_code)
        html[name] = response.content.decode() if response.status_code == 200 else ""
    for e, entry, label in rows:
        # A measure lists its kind and value, not its free text.
        if e.section == "measure":
            continue
        if (e.section, entry.pk) in seen:
            assert label in html[e.section], f"visible {label} missing from its section"
        else:
            leaks = [name for name, text in html.items() if label in text]
            assert not leaks, f"invisible {label} ({e}) leaks into {leaks}"


def check_reads(
    access: RecordAccess, rows: Rows, expected: Callable[[EntrySpec], bool], where: object
) -> set[tuple[str, int]]:
    """``entries()``, ``entry_or_404`` and ``timeline()`` show exactly the expected
    entries; returns them as (section, pk)."""
    seen = set()
    for e, entry, _label in rows:
        model = type(entry)
        in_sql = access.entries(model).filter(pk=entry.pk).exists()
        assert in_sql == expected(e), (where, e)
        try:
            opened = access.entry_or_404(model, entry.pk).pk == entry.pk
        except Http404:
            opened = False
        assert opened == in_sql, ("entry_or_404", where, e)
        if in_sql:
            seen.add((e.section, entry.pk))
    expected_events = {
        ev.pk
        for e, entry, _label in rows
        if (e.section, entry.pk) in seen
        for ev in TimelineEvent.objects.filter(kind=e.section, source_id=entry.pk)
    }
    timeline = set(access.timeline().values_list("pk", flat=True))
    assert timeline == expected_events, (
        where,
        access.basis,
        sorted(access.kinds or ()),
        [(e, entry.pk) for e, entry, _label in rows],
        list(
            TimelineEvent.objects.filter(pk__in=timeline ^ expected_events).values(
                "kind",
                "source_id",
                "visibility_kind",
                "hidden_from_professionals",
                "confidential_from_guardians",
                "author_id",
                "deleted",
            )
        ),
    )
    return seen


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=worlds())
def test_policy_agrees_with_the_oracle_on_random_worlds(client: Client, spec: WorldSpec) -> None:
    # One client for every example and user: each new client loads the middleware
    # again, and WhiteNoise (serving from the finders in tests) then scans every
    # static file, which cost about half the test's time.
    with transaction.atomic():
        built = build(spec)
        check_professionals(client, spec, built)
        check_guardians(client, spec, built)
        transaction.set_rollback(True)


def check_professionals(client: Client, spec: WorldSpec, built: Built) -> None:
    for q, pro in enumerate(built.pros):
        listed = set(professional_patients(pro.user).values_list("pk", flat=True))
        _verified_login(client, pro.user)
        for p, patient in enumerate(built.patients):
            grant = oracle_grant(spec, p, q)
            try:
                access = professional_record_access(pro.user, patient.pk)
            except Http404:
                access = None
            # The list and the door agree, and both agree with the oracle.
            assert (access is None) == (patient.pk not in listed), (p, q)
            assert (access is None) == (grant is None), (p, q, spec.pairs[(p, q)])
            if access is None or grant is None:
                response = client.get(reverse("pro:dashboard", args=[patient.pk]))
                assert response.status_code == 404
                continue
            assert access.sees_hidden == grant.sees_hidden, (p, q)
            rows = built.entries[p]
            seen = check_reads(
                access,
                rows,
                lambda e, grant=grant, q=q: oracle_sees(grant, e, q),
                (p, q, sorted(grant.kinds)),
            )
            check_pages(client, page_urls(rows, patient), rows, seen, (200, 404))


def check_guardians(client: Client, spec: WorldSpec, built: Built) -> None:
    for g, user in enumerate(built.guardians):
        granted = {
            patient.pk for p, patient in enumerate(built.patients) if oracle_guardian(spec, p, g)
        }
        listed = set(guardian_patients(user).values_list("pk", flat=True))
        assert listed == granted, (g, spec.ages, spec.guardianships)
        # Logging in starts a new session: nothing of the previous user's acting remains.
        _verified_login(client, user)
        for p, patient in enumerate(built.patients):
            where = (p, g, spec.ages[p], spec.guardianships[p])
            try:
                access = guardian_record_access(user, patient.pk)
            except Http404:
                access = None
            act_for = client.post(reverse("records:act_for", args=[patient.pk]))
            if access is None or patient.pk not in granted:
                assert access is None and patient.pk not in granted, where
                assert act_for.status_code == 404, where
                continue
            assert access.patient.pk == patient.pk, where
            assert act_for.status_code == 302, where
            rows = built.entries[p]
            seen = check_reads(access, rows, oracle_guardian_sees, where)
            # The session now shows the child's record on the patient-side pages.
            check_pages(client, page_urls(rows, None), rows, seen, (200,))


def test_the_oracle_itself_on_a_hand_written_case() -> None:
    """The oracle is code too: one case worked out by hand guards it."""
    spec = WorldSpec(
        professions=["kinesitherapeute", "generaliste", "urgentiste"],
        gp=[1, None],
        refuses=[False, True],
        pairs={
            (0, 0): PairSpec("open", "none", (), False, "none"),
            (0, 1): PairSpec("none", "none", (), False, "none"),
            (0, 2): PairSpec("none", "none", (), True, "active"),
            (1, 0): PairSpec("none", "sections", ("condition",), False, "none"),
            (1, 1): PairSpec("open", "none", (), True, "none"),
            (1, 2): PairSpec("none", "none", (), False, "active"),
        },
        entries=[[], []],
        override=None,
        removed_row=None,
        n_guardians=3,
        ages=["16", "18_today"],
        guardianships=[[(0, True), (1, False), (2, False), (2, True)], [(0, True)]],
    )
    mental = EntrySpec("condition", True, False, False, None)
    hidden = EntrySpec("treatment", False, True, False, 0)
    confidential = EntrySpec("allergy", False, False, False, 1, confidential=True)

    physio, gp, emergency = (oracle_grant(spec, 0, q) for q in range(3))
    assert physio is not None and not oracle_sees(physio, mental, 0)
    assert oracle_sees(physio, hidden, 0)  # its author
    assert gp is not None and gp.sees_hidden and oracle_sees(gp, hidden, 1)
    assert emergency is not None and not oracle_sees(emergency, hidden, 2)
    shared = oracle_grant(spec, 1, 0)
    assert shared is not None and shared.kinds == {"condition"}
    assert oracle_grant(spec, 1, 1) is None  # blocked
    assert oracle_grant(spec, 1, 2) is None  # refused emergency
    # What is kept from the guardians: the GP (not chosen by a guardian) and its
    # author see it; a care relationship does not reach it.
    assert oracle_sees(gp, confidential, 1) and not oracle_sees(physio, confidential, 0)
    assert oracle_sees(physio, EntrySpec("allergy", False, False, False, 0, confidential=True), 0)

    assert oracle_guardian(spec, 0, 0)  # live, of a minor
    assert not oracle_guardian(spec, 0, 1)  # ended
    assert oracle_guardian(spec, 0, 2)  # ended, then live again
    assert not oracle_guardian(spec, 1, 0)  # 18 today: an adult
    assert oracle_guardian_sees(hidden) and oracle_guardian_sees(mental)
    assert not oracle_guardian_sees(confidential)
    assert not oracle_guardian_sees(EntrySpec("treatment", False, False, True, None))
    # The age classes, on ordinary days and around 29 February.
    for today in (dt.date(2025, 6, 1), dt.date(2024, 2, 28), dt.date(2024, 2, 29)):
        born = {age: birth_date(age, today) for age in AGES}
        ages = {
            age: today.year - b.year - ((today.month, today.day) < (b.month, b.day))
            for age, b in born.items()
        }
        assert ages["18_today"] == 18 and ages["18_tomorrow"] == 17, (today, ages)
        assert {age for age, years in ages.items() if years < 18} == MINOR_AGES, (today, ages)
