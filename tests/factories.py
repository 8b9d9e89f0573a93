"""factory_boy factories shared by the test suite and the benchmarks.

Names and addresses come from Faker ``fr_FR``; identifiers are generated valid
(NIR with its key, RPPS with its Luhn digit). The demo data does not use them:
it writes through the services (``records/management/demo``), so that it runs
without the development dependencies.

The consent factories write rows as they stand, past the services' checks, for
a test's setup: a live share, block, guardianship or accepted carer grant.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

import factory
from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from consent.models import Block, CareRelationship, CarerGrant, DesignatedGP, Guardianship, Share
from consent.optout.models import Campaign
from consent.services import carer_token_hash
from messpace.accounts.models import Professional, User
from records.lifecycle.models import Record, RecordState, RecordTransition
from records.models import Patient

DEFAULT_PASSWORD = "Demo-messpace-2026!"


def make_nir(*, sex: str, birth_date: dt.date, rng: random.Random | None = None) -> str:
    """A valid NIR/INS: sex, year, month, department, commune, order, key (97 - n mod 97)."""
    rng = rng or random.Random()
    body = (
        ("1" if sex == "M" else "2")
        + f"{birth_date.year % 100:02d}{birth_date.month:02d}"
        + f"{rng.randint(1, 95):02d}{rng.randint(1, 990):03d}{rng.randint(1, 999):03d}"
    )
    key = 97 - int(body) % 97
    return f"{body}{key:02d}"


def make_rpps(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    body = "10" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return body + luhn.calc_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    """A patient with an ACTIVE record (use ``record_state`` to choose another state)."""

    class Meta:
        model = Patient
        skip_postgeneration_save = True

    sex = factory.Iterator(["F", "M"])
    birth_date = factory.Faker("date_of_birth", minimum_age=20, maximum_age=80)
    nir = factory.LazyAttribute(lambda o: make_nir(sex=o.sex, birth_date=o.birth_date))
    birth_names = factory.LazyFunction(
        lambda: factory.Faker._get_faker("fr_FR").last_name().upper()
    )
    given_names = factory.Faker("first_name", locale="fr_FR")
    address_line1 = factory.Faker("street_address", locale="fr_FR")
    postcode = factory.Faker("postcode", locale="fr_FR")
    city = factory.Faker("city", locale="fr_FR")
    email = factory.LazyAttribute(lambda o: f"{o.nir}@exemple.fr")
    user = None

    @factory.post_generation
    def record_state(obj: Patient, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        state = extracted or RecordState.ACTIVE
        # One transaction: the database refuses a record without its transition.
        with transaction.atomic():
            record = Record.objects.create(patient=obj, state=state)
            RecordTransition.objects.create(record=record, from_state="", to_state=state)


class PatientUserFactory(PatientFactory):
    """A patient who has a login, the user's names matching the identity."""

    user = factory.SubFactory(  # type: ignore[assignment]
        UserFactory,
        first_name=factory.SelfAttribute("..given_names"),
        last_name=factory.SelfAttribute("..birth_names"),
    )


class ProfessionalFactory(factory.django.DjangoModelFactory[Professional]):
    class Meta:
        model = Professional

    user = factory.SubFactory(UserFactory)
    rpps = factory.LazyFunction(make_rpps)
    profession = "generaliste"
    practice_name = factory.Faker("company", locale="fr_FR")
    practice_address = factory.Faker("street_address", locale="fr_FR")
    practice_postcode = factory.Faker("postcode", locale="fr_FR")
    practice_city = factory.Faker("city", locale="fr_FR")


class CareRelationshipFactory(factory.django.DjangoModelFactory[CareRelationship]):
    class Meta:
        model = CareRelationship

    professional = factory.SubFactory(ProfessionalFactory)
    patient = factory.SubFactory(PatientFactory)
    started_at = factory.LazyFunction(timezone.now)


class ShareFactory(factory.django.DjangoModelFactory[Share]):
    """A live share of the whole record (``section`` empty), without end."""

    class Meta:
        model = Share

    patient = factory.SubFactory(PatientFactory)
    professional = factory.SubFactory(ProfessionalFactory)
    section = ""
    expires_at = None


class BlockFactory(factory.django.DjangoModelFactory[Block]):
    class Meta:
        model = Block

    patient = factory.SubFactory(PatientFactory)
    professional = factory.SubFactory(ProfessionalFactory)


class DesignatedGPFactory(factory.django.DjangoModelFactory[DesignatedGP]):
    """The patient's médecin traitant (a general practitioner by default)."""

    class Meta:
        model = DesignatedGP

    patient = factory.SubFactory(PatientFactory)
    professional = factory.SubFactory(ProfessionalFactory)


class GuardianshipFactory(factory.django.DjangoModelFactory[Guardianship]):
    """A live legal guardianship of a minor."""

    class Meta:
        model = Guardianship

    patient = factory.SubFactory(
        PatientFactory, birth_date=factory.Faker("date_of_birth", minimum_age=2, maximum_age=15)
    )
    guardian = factory.SubFactory(UserFactory)


class CarerGrantFactory(factory.django.DjangoModelFactory[CarerGrant]):
    """A carer grant its carer accepted, live for 30 days.

    Only the hash of the invitation's token is stored; pass ``token=`` to know it.
    """

    class Meta:
        model = CarerGrant

    class Params:
        token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))

    patient = factory.SubFactory(PatientFactory)
    carer = factory.SubFactory(UserFactory)
    invited_email = factory.SelfAttribute("carer.email")
    token_hash = factory.LazyAttribute(lambda o: carer_token_hash(o.token))
    sections = factory.LazyFunction(lambda: ["treatment"])
    can_write = False
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))
    accepted_at = factory.LazyFunction(timezone.now)


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    """An opt-out information campaign in draft, created by a staff user."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campagne {n}")
    created_by = factory.SubFactory(UserFactory, is_staff=True)


def set_record_state(
    patient: Patient, state: str, *, reason: str = "Mise en place du test"
) -> None:
    """Put a patient's record in ``state`` for a test's setup, as the factories create
    records: with the ``RecordTransition`` that the database requires of every
    change of state (whatever the lifecycle would allow)."""
    record = Record.objects.get(patient=patient)
    with transaction.atomic():
        Record.objects.filter(pk=record.pk).update(state=state)
        RecordTransition.objects.create(
            record=record, from_state=record.state, to_state=state, reason=reason
        )
