"""An opt-out campaign in the demo, so that the admin's dashboard has figures.

Forty-eight insured persons of the Rhône, created as a cohort would be,
notified eight weeks ago through the real campaign services (letters
rendered by WeasyPrint, a few emails, one of which bounced). Support took
some oppositions and early openings over the following weeks, the others
opened after the six-week delay; a few have signed in since, two closed
their record. Dates are moved back once the services have run: this is
demo data, the services themselves never backdate anything.
"""

from __future__ import annotations

import datetime as dt

from django.test import override_settings
from django.utils import timezone

from consent.optout.models import Campaign, DeliveryChannel, Notice, NoticeDelivery, NoticeOutcome
from consent.optout.services import campaigns as campaign_services
from consent.optout.services import outcomes
from consent.policy import own_record_access
from messpace.accounts.models import User
from records import services
from records.lifecycle.services import record_close
from records.management.demo.base import DOMAIN, Seeder, make_nir, seeded_rng
from records.management.demo.names import draw_identity
from records.models import Patient, Sex

CAMPAIGN_NAME = "Rhône — information avant ouverture (démonstration)"
PEOPLE = 48
CITIES = (("69003", "Lyon"), ("69100", "Villeurbanne"), ("69200", "Vénissieux"), ("69500", "Bron"))


def seed_campaign(s: Seeder) -> None:
    """Create the demo campaign once; a second run leaves it as it is."""
    if Campaign.objects.filter(name=CAMPAIGN_NAME).exists():
        return
    people = [_insured(n) for n in range(PEOPLE)]
    campaign = Campaign.objects.create(
        name=CAMPAIGN_NAME, created_by=s.users["admin"], postcode_prefixes="69"
    )
    # The notices' emails go to invented addresses: keep them out of the terminal.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        campaign_services.campaign_start(campaign=campaign)
        campaign_services.campaign_run(campaign_id=campaign.pk)
        bounced = NoticeDelivery.objects.filter(
            notice__campaign=campaign, channel=DeliveryChannel.EMAIL
        ).first()
        if bounced is not None:
            campaign_services.delivery_bounced(delivery_id=bounced.pk)

    now = timezone.now()
    issued = now - dt.timedelta(weeks=8)
    opens = campaign_services.opening_moment(issued, campaign.delay_days)
    Notice.objects.filter(campaign=campaign).update(issued_at=issued, opens_at=opens)
    Campaign.objects.filter(pk=campaign.pk).update(started_at=issued, finished_at=issued)

    agent = s.users["agent"]
    for n, patient in enumerate(people[:6]):
        outcomes.caller_oppose(agent=agent, nir=patient.nir, birth_date=patient.birth_date)
        _answered_on(patient, issued + dt.timedelta(days=3 + 6 * n))
    for n, patient in enumerate(people[6:11]):
        outcomes.caller_activate(agent=agent, nir=patient.nir, birth_date=patient.birth_date)
        _answered_on(patient, issued + dt.timedelta(days=5 + 7 * n))
    outcomes.records_open_due(now=now)
    Notice.objects.filter(campaign=campaign, outcome=NoticeOutcome.OPENED).update(outcome_at=opens)

    # Some opened their record and signed in; two of them closed it since.
    for n, patient in enumerate(people[6:20]):
        user = _login(s, patient, last_login=now - dt.timedelta(days=2 + n))
        if n in (3, 9):
            record_close(access=own_record_access(user))


def _insured(n: int) -> Patient:
    rng = seeded_rng(f"campaign-{n}")
    sex = Sex.FEMALE if n % 2 == 0 else Sex.MALE
    birth = dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
    nir = make_nir(sex=sex, birth_date=birth, rng=rng)
    drawn = draw_identity(rng, sex, cities=(CITIES[n % len(CITIES)],))
    return services.patient_create(
        data={
            "nir": nir,
            "birth_names": drawn.birth_names,
            "given_names": drawn.given_names,
            "birth_date": birth,
            "sex": sex,
            "address_line1": drawn.address_line1,
            "postcode": drawn.postcode,
            "city": drawn.city,
            # A quarter gave an email address to their insurer; the others get a letter.
            "email": f"assure{n + 1}@{DOMAIN}" if n % 4 == 0 else "",
        }
    )


def _answered_on(patient: Patient, when: dt.datetime) -> None:
    Notice.objects.filter(record__patient=patient).update(outcome_at=when)


def _login(s: Seeder, patient: Patient, *, last_login: dt.datetime) -> User:
    """The person opened an account (with the demo's password) and signed in since."""
    email = f"assure.{patient.nir[-6:]}@{DOMAIN}"
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, first_name=patient.first_given_name, last_name=patient.birth_names.title()
    )
    User.objects.filter(pk=user.pk).update(password=s.password_hash, last_login=last_login)
    Patient.objects.filter(pk=patient.pk).update(user=user)
    patient.user = user
    return user
