"""Demo accounts, date helpers and the :class:`Seeder` that writes through the services."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import ThrottlingMixin
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

from consent.models import Block, CareRelationship, CarerGrant, DesignatedGP, Guardianship, Share
from consent.policy import (
    RecordAccess,
    guardian_record_access,
    own_record_access,
    professional_record_access,
)
from consent.services import (
    block_remove,
    care_relationship_declare,
    carer_accept,
    carer_invite,
    designated_gp_set,
    entry_guardian_confidentiality_set,
    entry_visibility_set,
    guardianship_add,
    share_grant,
)
from messpace.accounts.models import Profession, Professional, User
from messpace.accounts.services import backup_codes_regenerate
from records import services
from records.lifecycle.models import Record, RecordState
from records.lifecycle.services import record_transition
from records.management.demo.schedules import CERTIFICATES, GROWTH, GROWTH_AGES
from records.models import Entry, Measure, MeasureKind, Patient, Vaccination

SEED = 20260101
DOMAIN = "demo.example"
# The one password of every demo account, printed by seed_demo and listed in README.md.
DEMO_PASSWORD = "Demo-messpace-2026!"  # noqa: S105 (published on purpose: README.md)
# Shared by every account that must use two-step login; each code works once per
# account and every run of seed_demo restores all ten.
BACKUP_CODES: tuple[str, ...] = tuple(f"secours{n:02d}" for n in range(1, 11))
PAT_TROIS_INS = "279035121518989"
GP_NAME = "Dr Hélène Garnier"
EXTRA_PATIENTS = 8


def _rpps(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def make_nir(*, sex: str, birth_date: dt.date, rng: random.Random) -> str:
    """A valid INS drawn with ``rng``: sex, year and month of birth, department,
    commune, order, then the key (97 - number mod 97)."""
    body = (
        ("1" if sex == "M" else "2")
        + f"{birth_date.year % 100:02d}{birth_date.month:02d}"
        + f"{rng.randint(1, 95):02d}{rng.randint(1, 990):03d}{rng.randint(1, 999):03d}"
    )
    return body + stdnum_nir.calc_check_digits(body)


@dataclass(frozen=True)
class Account:
    """One line of the demo accounts table (also checked against README.md by the tests)."""

    key: str
    role: str
    name: str
    email: str
    two_factor: bool = False


@dataclass(frozen=True)
class ProSpec:
    key: str
    first_name: str
    last_name: str
    profession: str
    rpps: str
    practice_name: str
    practice_address: str
    practice_phone: str
    role: str


PROFESSIONALS: tuple[ProSpec, ...] = (
    ProSpec(
        "gp",
        "Hélène",
        "Garnier",
        Profession.GENERAL_PRACTITIONER,
        _rpps("1010000001"),
        "Maison de santé Breteuil",
        "12 rue Cler",
        "+33145551201",
        "Médecin généraliste",
    ),
    ProSpec(
        "pharmacist",
        "Marc",
        "Lambert",
        Profession.PHARMACIST,
        _rpps("1010000002"),
        "Pharmacie du Champ-de-Mars",
        "47 avenue Bosquet",
        "+33145551202",
        "Pharmacien",
    ),
    ProSpec(
        "nurse",
        "Sophie",
        "Perrin",
        Profession.NURSE,
        _rpps("1010000003"),
        "Cabinet infirmier Saint-Dominique",
        "88 rue Saint-Dominique",
        "+33145551203",
        "Infirmière",
    ),
    ProSpec(
        "physio",
        "Thomas",
        "Girard",
        Profession.PHYSIOTHERAPIST,
        _rpps("1010000004"),
        "Cabinet de kinésithérapie École-Militaire",
        "5 avenue de La Motte-Picquet",
        "+33145551204",
        "Masseur-kinésithérapeute",
    ),
    ProSpec(
        "emergency",
        "Karim",
        "Benali",
        Profession.EMERGENCY_PHYSICIAN,
        _rpps("1010000005"),
        "Centre hospitalier Paris-Ouest, service des urgences",
        "20 rue Leblanc",
        "+33145551205",
        "Médecin urgentiste",
    ),
)
PRO_EMAILS = {
    "gp": f"medecin@{DOMAIN}",
    "pharmacist": f"pharmacien@{DOMAIN}",
    "nurse": f"infirmiere@{DOMAIN}",
    "physio": f"kine@{DOMAIN}",
    "emergency": f"urgentiste@{DOMAIN}",
}


def _pro_account(spec: ProSpec) -> Account:
    doctor = spec.profession in {Profession.GENERAL_PRACTITIONER, Profession.EMERGENCY_PHYSICIAN}
    name = f"{'Dr ' if doctor else ''}{spec.first_name} {spec.last_name}"
    return Account(spec.key, spec.role, name, PRO_EMAILS[spec.key], two_factor=True)


ACCOUNTS: tuple[Account, ...] = (
    Account(
        "gerard",
        "Patient (74 ans, diabète, HTA, FA)",
        "Gérard Fontaine",
        f"gerard.fontaine@{DOMAIN}",
    ),
    Account(
        "dominique",
        "Patiente (documents CDA)",
        "Dominique Pat-Trois",
        f"dominique.pat-trois@{DOMAIN}",
    ),
    Account(
        "julien",
        "Patient (père, représentant légal d’Emma et Louis)",
        "Julien Moreau",
        f"julien.moreau@{DOMAIN}",
    ),
    Account(
        "camille",
        "Patiente (mère, représentante légale d’Emma et Louis)",
        "Camille Moreau",
        f"camille.moreau@{DOMAIN}",
    ),
    Account("emma", "Patiente (16 ans)", "Emma Moreau", f"emma.moreau@{DOMAIN}"),
    Account(
        "sophie", "Aidante de Gérard (sa fille)", "Sophie Fontaine", f"sophie.fontaine@{DOMAIN}"
    ),
    *(_pro_account(spec) for spec in PROFESSIONALS),
    Account("agent", "Agent de support", "Nadia Rousseau", f"support@{DOMAIN}", two_factor=True),
    Account("admin", "Administrateur", "Admin messpace", f"admin@{DOMAIN}", two_factor=True),
)
ACCOUNTS_BY_KEY = {a.key: a for a in ACCOUNTS}


# --- Dates ------------------------------------------------------------------
def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A Paris wall-clock time on ``day`` (never in the 2-3 a.m. DST gap)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def after_months(day: dt.date, months: float) -> dt.date:
    return day + dt.timedelta(days=round(months * 30.44))


def dec(value: float, places: int) -> Decimal:
    return Decimal(f"{value:.{places}f}")


@dataclass
class Summary:
    created_patients: list[str] = field(default_factory=list)
    entries: int = 0
    # The patient seed_demo suggests opening with the emergency physician's account.
    emergency_example: Patient | None = None


class Seeder:
    """Writes the demo through the services: the accounts manager, ``records.services``,
    the record lifecycle and ``consent.services``."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        # One hash for every account: hashing is deliberately slow.
        self.password_hash = make_password(DEMO_PASSWORD)
        self.summary = Summary()
        self.pros: dict[str, Professional] = {}
        self.users: dict[str, User] = {}
        self._accesses: dict[tuple[int, int], RecordAccess] = {}

    # --- people -------------------------------------------------------------
    def user(self, account: Account, first_name: str, last_name: str, **flags: bool) -> User:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(
                account.email, first_name=first_name, last_name=last_name
            )
        user.password = self.password_hash
        user.is_active = True
        for name, value in flags.items():
            setattr(user, name, value)
        user.save()
        axes_reset(username=account.email)
        if account.two_factor:
            backup_codes_regenerate(user=user, codes=list(BACKUP_CODES))
        # Wrong codes slow the next attempts down exponentially: start afresh.
        for device in devices_for_user(user, confirmed=None):
            if isinstance(device, ThrottlingMixin):
                device.throttle_reset()
        self.users[account.key] = user
        return user

    def professional(self, spec: ProSpec) -> Professional:
        user = self.user(ACCOUNTS_BY_KEY[spec.key], spec.first_name, spec.last_name)
        pro = Professional.objects.filter(rpps=spec.rpps).first()
        if pro is None:
            pro = Professional(
                user=user,
                rpps=spec.rpps,
                profession=spec.profession,
                practice_name=spec.practice_name,
                practice_address=spec.practice_address,
                practice_postcode="75007",
                practice_city="Paris",
                practice_phone=spec.practice_phone,
            )
            pro.full_clean()
            pro.save()
        self.pros[spec.key] = pro
        return pro

    def patient(
        self, data: dict[str, Any], *, user: User | None = None, key_on_nir: bool = True
    ) -> tuple[Patient, bool]:
        """Find the patient by INS (or by names when the INS moves with today), else create."""
        if key_on_nir:
            found = Patient.objects.filter(nir=data["nir"]).first()
        else:
            found = Patient.objects.filter(
                birth_names=data["birth_names"], given_names=data["given_names"]
            ).first()
        if found is not None:
            if user is not None and found.user_id is None:
                found.user = user
                found.save(update_fields=["user"])
            self._activate(found)
            return found, False
        patient = services.patient_create(data=data, user=user)
        self._activate(patient)
        self.summary.created_patients.append(patient.full_name)
        return patient, True

    def _activate(self, patient: Patient) -> None:
        """Bring the record to ACTIVE the way the lifecycle allows."""
        record = Record.objects.get(patient=patient)
        if record.state == RecordState.ACTIVE:
            return
        if record.state == RecordState.CREATED:
            record_transition(
                record=record,
                to_state=RecordState.NOTIFIED,
                by=None,
                reason="Information envoyée (données de démonstration)",
            )
        record_transition(
            record=record,
            to_state=RecordState.ACTIVE,
            by=patient.user,
            reason="Activation (données de démonstration)",
        )

    def _holder_access(self, patient: Patient) -> RecordAccess:
        """The patient's own access, or a legal guardian's for a child without a login."""
        if patient.user is not None:
            return own_record_access(patient.user)
        guardianship = Guardianship.objects.filter(patient=patient, ended_at__isnull=True).first()
        if guardianship is None:
            raise ValueError(f"{patient.full_name} has neither a login nor a guardian.")
        return guardian_record_access(guardianship.guardian, patient.pk)

    def _unblock(self, patient: Patient, pro: Professional) -> None:
        """A visitor may have blocked one of the team: lift it, as from the patient's page."""
        if Block.objects.filter(patient=patient, professional=pro).exists():
            block_remove(access=self._holder_access(patient), professional_id=pro.pk)

    def care(self, pro_key: str, patient: Patient, since: dt.date) -> None:
        """The professional declares the care relationship (restored if ended),
        dated back to ``since``."""
        pro = self.pros[pro_key]
        # An open relationship gives nothing while a block stands.
        self._unblock(patient, pro)
        if CareRelationship.objects.filter(
            professional=pro, patient=patient, ended_at__isnull=True
        ).exists():
            return
        assert pro.user is not None  # noqa: S101 - the demo's team all have logins
        relationship = care_relationship_declare(
            professional=pro, patient=patient, declared_by=pro.user
        )
        CareRelationship.objects.filter(pk=relationship.pk).update(started_at=at(since))

    def designate_gp(self, pro_key: str, patient: Patient, since: dt.date) -> None:
        """The patient chooses the professional as médecin traitant (restored if changed);
        a first designation is dated back to ``since``."""
        pro = self.pros[pro_key]
        current = DesignatedGP.objects.filter(patient=patient).first()
        if current is not None and current.professional_id == pro.pk:
            return
        self._unblock(patient, pro)
        designated = designated_gp_set(access=self._holder_access(patient), professional=pro)
        if current is None:
            DesignatedGP.objects.filter(pk=designated.pk).update(designated_at=at(since))

    def share(
        self,
        pro_key: str,
        patient: Patient,
        sections: tuple[str, ...],
        *,
        guardian: str = "",
    ) -> None:
        """The patient (or, with ``guardian``, that legal guardian acting for the
        child) shares these sections, without end (restored if revoked or changed)."""
        pro = self.pros[pro_key]
        live = set(
            Share.objects.filter(
                patient=patient, professional=pro, revoked_at__isnull=True, expires_at__isnull=True
            ).values_list("section", flat=True)
        )
        if live == set(sections):
            return
        self._unblock(patient, pro)
        access = (
            guardian_record_access(self.users[guardian], patient.pk)
            if guardian
            else self._holder_access(patient)
        )
        share_grant(
            access=access,
            professional=pro,
            sections=list(sections),
            expires_at=None,
        )

    def hide(self, patient: Patient, entry: Entry) -> None:
        """The patient hides one of their entries from professionals, as from their page."""
        if entry.hidden_from_professionals or patient.user is None:
            return
        entry_visibility_set(access=own_record_access(patient.user), entry=entry, hidden=True)

    def guardian(self, guardian_key: str, child: Patient) -> None:
        """A parent as the child's legal guardian (restored if ended)."""
        user = self.users[guardian_key]
        if not Guardianship.objects.filter(
            patient=child, guardian=user, ended_at__isnull=True
        ).exists():
            guardianship_add(patient=child, guardian=user)

    def carer(
        self, carer_key: str, patient: Patient, sections: tuple[str, ...], *, can_write: bool
    ) -> None:
        """The patient invites the carer for a year and the carer accepts (restored if
        revoked or expired)."""
        user = self.users[carer_key]
        now = timezone.now()
        if CarerGrant.objects.filter(
            patient=patient, carer=user, revoked_at__isnull=True, expires_at__gt=now
        ).exists():
            return
        _grant, token = carer_invite(
            access=self._holder_access(patient),
            email=user.email,
            sections=list(sections),
            can_write=can_write,
            expires_at=now + dt.timedelta(days=365),
        )
        carer_accept(user=user, token=token)

    def keep_from_guardians(self, author: User, patient: Patient, entry: Entry) -> None:
        """A professional keeps an entry of a minor's record from the parents."""
        access = professional_record_access(author, patient.pk)
        entry_guardian_confidentiality_set(access=access, entry=entry, confidential=True)

    # --- record content -----------------------------------------------------
    def imp(self, patient: Patient, model: type[Entry], **data: Any) -> None:
        """An entry from an import (previous record, hospital letter, carnet de santé)."""
        services.entry_import(patient=patient, model=model, data=data)
        self.summary.entries += 1

    def by(self, author: User, patient: Patient, model: type[Entry], **data: Any) -> Entry:
        """An entry written by ``author``: the patient themself or a professional caring for them."""
        key = (author.pk, patient.pk)
        access = self._accesses.get(key)
        if access is None:
            access = (
                own_record_access(author)
                if patient.user_id == author.pk
                else professional_record_access(author, patient.pk)
            )
            self._accesses[key] = access
        entry = services.entry_create(access=access, model=model, data=data)
        self.summary.entries += 1
        return entry

    def growth(
        self, patient: Patient, rng: random.Random, factor: float, gp: User, maternity: str
    ) -> None:
        """Weight, height and head circumference at the carnet de santé check-ups."""
        curves = GROWTH[patient.sex]
        for index, months in enumerate(GROWTH_AGES):
            day = after_months(patient.birth_date, months)
            if day >= self.today:
                break
            when = at(day, 10, 30)
            note = CERTIFICATES.get(months, "")
            for kind, values in curves.items():
                if index >= len(values):
                    continue
                noise = 1 + rng.gauss(0, 0.008)
                value = dec(values[index] * factor * noise, 2 if kind == MeasureKind.WEIGHT else 1)
                data = {"kind": kind, "value": value, "measured_at": when, "notes": note}
                if months == 0:
                    data["notes"] = f"Naissance — {maternity}"
                    self.imp(patient, Measure, **data)
                else:
                    self.by(gp, patient, Measure, **data)

    def vaccinate(
        self,
        write: Callable[..., None],
        rng: random.Random,
        day: dt.date,
        vaccine: tuple[str, str],
        dose: str,
        vaccinator: str,
    ) -> None:
        if day >= self.today:
            return
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        batch = f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1000, 9999)}"
        write(
            Vaccination,
            vaccine=vaccine[0],
            target_disease=vaccine[1],
            dose=dose,
            date=day,
            batch_number=batch,
            vaccinator=vaccinator,
        )


Fill = Callable[[Seeder, Patient], None]
# A patient, whether this run created them, and what to write in their record.
Person = tuple[Patient, bool, Fill]


def seeded_rng(key: str) -> random.Random:
    """A generator of its own for each person, so one person's data never shifts another's.

    String seeds hash the same way in every process (unlike ``hash()``).
    """
    return random.Random(f"{SEED}:{key}")  # noqa: S311 (demo data, not secrets)
