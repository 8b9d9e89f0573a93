"""What the admin finds waiting in the console: a population imported from a CSV
(two lines refused, with their reasons), a draft campaign over it to start, and
a structure of the admins' own with two declared members. Through the same
services as the console's pages, once."""

from __future__ import annotations

import datetime as dt

from consent.optout.models import Campaign, CohortImport
from consent.optout.services import cohorts as cohort_services
from consent.optout.services import drafts
from messpace.directory import structures
from messpace.directory.models import Structure, StructureKind
from records.management.demo.base import DOMAIN, Seeder, make_nir, seeded_rng
from records.management.demo.names import draw_identity
from records.models import Sex

COHORT_FILENAME = "gironde-assures-demonstration.csv"
COHORT_PEOPLE = 30
CITIES = (("33000", "Bordeaux"), ("33400", "Talence"), ("33600", "Pessac"), ("33700", "Mérignac"))
DRAFT_NAME = "Gironde — à démarrer (démonstration)"
TEAM_NAME = "Équipe mobile de soins palliatifs — Bordeaux (démonstration)"


def _cohort_csv() -> bytes:
    header = "nir;nom_naissance;prenoms;date_naissance;sexe;adresse1;code_postal;ville;courriel"
    lines = [header]
    for n in range(COHORT_PEOPLE):
        rng = seeded_rng(f"cohort-{n}")
        sex = Sex.FEMALE if n % 2 else Sex.MALE
        birth = dt.date(rng.randint(1945, 2003), rng.randint(1, 12), rng.randint(1, 28))
        drawn = draw_identity(rng, sex, cities=(CITIES[n % len(CITIES)],))
        email = f"gironde{n + 1}@{DOMAIN}" if n % 3 == 0 else ""
        lines.append(
            ";".join(
                [
                    make_nir(sex=sex, birth_date=birth, rng=rng),
                    drawn.birth_names,
                    drawn.given_names,
                    birth.strftime("%d/%m/%Y"),
                    sex,
                    drawn.address_line1,
                    drawn.postcode,
                    drawn.city,
                    email,
                ]
            )
        )
    # Two lines the import refuses, each with its reason: an unknown sex, and
    # a NIR whose key does not match.
    rng = seeded_rng("cohort-refused")
    birth = dt.date(1980, 5, 12)
    nir = make_nir(sex=Sex.FEMALE, birth_date=birth, rng=rng)
    lines.append(f"{nir};MARTIN;Léa;12/05/1980;X;3 rue Sainte-Catherine;33000;Bordeaux;")
    wrong_key = nir[:13] + f"{(int(nir[13:]) + 1) % 97:02d}"
    lines.append(f"{wrong_key};DURAND;Paul;12/05/1980;F;8 cours Victor-Hugo;33000;Bordeaux;")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def seed_console(s: Seeder) -> None:
    admin = s.users["admin"]
    cohort = CohortImport.objects.filter(filename=COHORT_FILENAME).first()
    if cohort is None:
        cohort = cohort_services.cohort_import_start(
            by=admin, filename=COHORT_FILENAME, content=_cohort_csv()
        )
        # In this process, inside the demo's transaction; the queued task finds it done.
        cohort_services.cohort_import_run(import_id=cohort.pk)
        cohort.refresh_from_db()
    if not Campaign.objects.filter(name=DRAFT_NAME).exists():
        drafts.campaign_create(
            by=admin, name=DRAFT_NAME, cohort_import=cohort, postcode_prefixes="33"
        )
    if not Structure.objects.filter(name=TEAM_NAME).exists():
        team = structures.structure_create(
            by=admin,
            kind=StructureKind.HOSPITAL,
            name=TEAM_NAME,
            address="Place Amélie Raba-Léon",
            postcode="33000",
            city="Bordeaux",
        )
        for key, mode in (("gp", "Vacataire"), ("nurse", "Salariée")):
            structures.member_add(structure=team, by=admin, rpps=s.pros[key].rpps, mode=mode)
