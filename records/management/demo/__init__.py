"""Demo data for ``make demo``: a family, an elderly patient with chronic conditions,
the patient of the sample CDA documents, a care team, a support agent, an admin,
and an opt-out campaign over 48 insured persons of the Rhône.

Safe to run again. People are found by stable keys: the user's email, the
professional's RPPS, the fixed INS of the CDA patient (and of every patient whose
birth date is fixed), and birth name plus given names for the patients whose
birth date, and so INS, is computed from today. A patient's record content is
written only when the patient is created, and the whole run is one transaction,
so a second run adds nothing.

What a visitor may have changed and needs back to log in is restored on every
run: the shared password, the fixed backup codes (each works once), active
accounts without an axes lockout, active records, open care relationships,
designated GPs, the physiotherapist's and the pharmacist's shares, Gérard's hidden entry, the
children's guardians and Gérard's carer; a block of one of the care team by
one of its patients is lifted.

Everything is written through the services, as the application writes it
(the accounts manager, ``records.services``, the record lifecycle,
``consent.services``, ``documents.services``, the opt-out campaign services),
and nothing comes from ``tests/``: ``make demo`` runs from the installed
package, without factory_boy or Faker. Only dates are moved back once a
service has run (care relationships, the first designation of the GP, the
campaign), since no service backdates anything.
"""

from __future__ import annotations

import datetime as dt

from records.management.demo.base import ACCOUNTS_BY_KEY, PROFESSIONALS, Seeder
from records.management.demo.campaign import seed_campaign
from records.management.demo.chronic import seed_dominique, seed_gerard
from records.management.demo.console import seed_console
from records.management.demo.directory import seed_directory
from records.management.demo.documents import seed_documents
from records.management.demo.family import seed_moreau_family
from records.management.demo.figures import seed_figures
from records.management.demo.messages import seed_messages
from records.management.demo.patientele import seed_patientele
from records.models import Habit, HabitKind, ItemKind


def seed(s: Seeder) -> None:
    """Create what is missing and restore what a visitor may have changed. Run it in a transaction."""
    today = s.today
    for spec in PROFESSIONALS:
        s.professional(spec)
    seed_directory()
    s.user(ACCOUNTS_BY_KEY["agent"], "Nadia", "Rousseau", is_support_agent=True)
    s.user(ACCOUNTS_BY_KEY["sophie"], "Sophie", "Fontaine")
    s.user(ACCOUNTS_BY_KEY["admin"], "Admin", "messpace", is_staff=True, is_superuser=True)

    gerard, dominique = seed_gerard(s), seed_dominique(s)
    family = seed_moreau_family(s)
    patientele = seed_patientele(s)
    # Both parents are the legal guardians of Emma and Louis (first: a guardian
    # acts for Louis, who has no login, should a block need lifting).
    emma, louis = family[2][0], family[3][0]
    for parent in ("julien", "camille"):
        for child in (emma, louis):
            s.guardian(parent, child)
    care_since = today - dt.timedelta(days=2 * 365)
    for patient, _, _ in (gerard, dominique, *family, *patientele):
        s.care("gp", patient, care_since)
    s.care("pharmacist", gerard[0], care_since)
    s.care("nurse", gerard[0], care_since)
    s.care("physio", family[0][0], today - dt.timedelta(days=200))
    # Dr Garnier is the médecin traitant of the adults who chose her; the children
    # and the rest of her patients come through the care relationships above.
    julien, camille = family[0][0], family[1][0]
    for patient in (gerard[0], dominique[0], julien, camille):
        s.designate_gp("gp", patient, care_since)
    # Gérard shares only two sections with the physiotherapist (fall prevention).
    s.share("physio", gerard[0], (ItemKind.HANDICAP, ItemKind.TREATMENT))
    # Camille, acting for Emma, shares Emma's treatments with the pharmacist: he
    # sees the inhaler, never the contraception kept from her parents.
    s.share("pharmacist", emma, (ItemKind.TREATMENT,), guardian="camille")

    # Sophie, Gérard's daughter, helps him with his treatments and measures.
    s.carer(
        "sophie",
        gerard[0],
        (ItemKind.TREATMENT, ItemKind.MEASURE, ItemKind.ALLERGY, ItemKind.VACCINATION),
        can_write=True,
    )

    # Content goes in once, after the care relationships that let professionals write.
    for patient, created, fill in (gerard, dominique, *family, *patientele):
        if created:
            fill(s, patient)

    # Gérard hides his alcohol habit: his GP still sees it, the nurse does not.
    alcohol = Habit.objects.filter(
        patient=gerard[0], kind=HabitKind.ALCOHOL, deleted_at__isnull=True
    ).first()
    if alcohol is not None:
        s.hide(gerard[0], alcohol)
    # Documents through the real deposit and ingestion (deduplicated on a second run).
    seed_documents(s, dominique[0], gerard[0])
    # A conversation with his GP (her last message unread), a note from the pharmacy.
    seed_messages(s, gerard[0])
    s.summary.emergency_example = gerard[0]
    # An opt-out campaign eight weeks old, for the admin's dashboard.
    seed_campaign(s)
    # A population, a draft campaign and a team of the admins' own, for the console.
    seed_console(s)
    # Sign-ins of the last weeks and the national figures, for the console.
    seed_figures(s)


__all__ = ["seed"]
