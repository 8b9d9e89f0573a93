"""The insured person: identity (INS/NIR), contact details and age rules.

Writes go through ``records.services`` (``patient_create``, ``patient_contact_update``);
the record and its lifecycle are in :mod:`records.lifecycle.models`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messpace.accounts.validators import validate_nir, validate_phone

MAJORITY_AGE = 18
# From this age a minor may keep items of their record from their guardians.
MINOR_CONFIDENTIALITY_AGE = 15


def latest_birth_date_for_age(day: dt.date, years: int) -> dt.date:
    """The latest birth date of someone at least ``years`` old on ``day``.

    Someone born on 29 February comes of age on 1 March in other years, as
    ``Patient.age_on`` counts it.
    """
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


class Sex(models.TextChoices):
    FEMALE = "F", _("Féminin")
    MALE = "M", _("Masculin")


class Patient(models.Model):
    """An insured person, identified by their INS (NIR with its key)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient",
    )
    nir = models.CharField(_("INS (NIR)"), max_length=15, unique=True, validators=[validate_nir])
    birth_names = models.CharField(_("nom de naissance"), max_length=150)
    used_name = models.CharField(_("nom utilisé"), max_length=150, blank=True)
    given_names = models.CharField(_("prénoms de naissance"), max_length=150)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    address_line1 = models.CharField(_("adresse"), max_length=255, blank=True)
    address_line2 = models.CharField(_("complément d’adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True, validators=[validate_phone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [models.Index(fields=["birth_names", "given_names"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(nir__regex=r"^[12][0-9]{2}[0-9]{2}(2A|2B|[0-9]{2})[0-9]{6}[0-9]{2}$"),
                violation_error_message=_(
                    "Le NIR doit comporter 15 caractères : 13 chiffres (2A ou 2B pour la Corse) et une clé de 2 chiffres."
                ),
                name="patient_nir_shape",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def first_given_name(self) -> str:
        return self.given_names.split()[0] if self.given_names else ""

    @property
    def full_name(self) -> str:
        return f"{self.first_given_name} {self.used_name or self.birth_names}".strip()

    @property
    def nir_display(self) -> str:
        n = self.nir
        return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:15]}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def is_minor(self) -> bool:
        return self.age < MAJORITY_AGE

    @property
    def may_keep_from_guardians(self) -> bool:
        """A minor aged 15 or more may mark items confidential from their guardians."""
        return MINOR_CONFIDENTIALITY_AGE <= self.age < MAJORITY_AGE
