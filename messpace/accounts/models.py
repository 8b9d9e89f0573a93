"""People: one user model, the professional identity, and roles."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from messpace.accounts.validators import validate_phone, validate_rpps


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    PROFESSIONAL = "professional", _("Professionnel de santé")
    AGENT = "agent", _("Agent de support")
    ADMIN = "admin", _("Administrateur")


class User(AbstractUser):
    """A person who can log in. Roles come from linked identities and flags.

    - patient: has a ``records.Patient`` linked (``user.patient``);
    - professional: has a ``Professional`` linked (``user.professional``);
    - support agent: ``is_support_agent``;
    - admin: ``is_staff``.
    A user may hold several roles (a nurse is also a patient).
    """

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("adresse électronique"), unique=True)
    is_support_agent = models.BooleanField(_("agent de support"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                violation_error_message=_("Cette adresse électronique est déjà celle d’un compte."),
                name="user_email_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_professional(self) -> bool:
        return hasattr(self, "professional")

    @property
    def is_patient(self) -> bool:
        return hasattr(self, "patient")

    @property
    def roles(self) -> list[str]:
        roles = []
        if self.is_patient:
            roles.append(Role.PATIENT.value)
        if self.is_professional:
            roles.append(Role.PROFESSIONAL.value)
        if self.is_support_agent:
            roles.append(Role.AGENT.value)
        if self.is_staff:
            roles.append(Role.ADMIN.value)
        return roles

    @property
    def requires_two_factor(self) -> bool:
        """Two-factor is mandatory for every role but plain patients (a superuser
        without staff status included: the technical admin is theirs)."""
        return self.is_professional or self.is_support_agent or self.is_staff or self.is_superuser


class Profession(models.TextChoices):
    GENERAL_PRACTITIONER = "generaliste", _("Médecin généraliste")
    SPECIALIST = "specialiste", _("Médecin spécialiste")
    EMERGENCY_PHYSICIAN = "urgentiste", _("Médecin urgentiste")
    PHARMACIST = "pharmacien", _("Pharmacien")
    NURSE = "infirmier", _("Infirmier")
    MIDWIFE = "sage_femme", _("Sage-femme")
    PHYSIOTHERAPIST = "kinesitherapeute", _("Masseur-kinésithérapeute")
    DENTIST = "chirurgien_dentiste", _("Chirurgien-dentiste")
    SPEECH_THERAPIST = "orthophoniste", _("Orthophoniste")
    PODIATRIST = "pedicure_podologue", _("Pédicure-podologue")
    PSYCHOLOGIST = "psychologue", _("Psychologue")
    DIETITIAN = "dieteticien", _("Diététicien")
    # A profession of the national directory that the matrix knows nothing of
    # (optician, audioprosthetist…): it sees nothing of a record by default.
    OTHER = "autre", _("Autre profession de santé")


class Specialty(models.TextChoices):
    CARDIOLOGY = "cardiologie", _("Cardiologie")
    DERMATOLOGY = "dermatologie", _("Dermatologie")
    ENDOCRINOLOGY = "endocrinologie", _("Endocrinologie et diabétologie")
    GASTROENTEROLOGY = "gastro_enterologie", _("Gastro-entérologie")
    GERIATRICS = "geriatrie", _("Gériatrie")
    GYNECOLOGY = "gynecologie", _("Gynécologie et obstétrique")
    NEPHROLOGY = "nephrologie", _("Néphrologie")
    NEUROLOGY = "neurologie", _("Neurologie")
    ONCOLOGY = "oncologie", _("Oncologie")
    OPHTHALMOLOGY = "ophtalmologie", _("Ophtalmologie")
    ENT = "orl", _("Oto-rhino-laryngologie")
    PEDIATRICS = "pediatrie", _("Pédiatrie")
    PNEUMOLOGY = "pneumologie", _("Pneumologie")
    PSYCHIATRY = "psychiatrie", _("Psychiatrie")
    RADIOLOGY = "radiologie", _("Radiologie")
    RHEUMATOLOGY = "rhumatologie", _("Rhumatologie")


class Professional(models.Model):
    """A health professional's identity: RPPS number, name, one profession, practice.

    The national directory (``messpace.directory``) creates one for every
    professional it imports, without a login (``user`` empty); an invitation
    binds a login to it. Patients may choose, share with or block a
    professional who has no login yet.
    """

    user = models.OneToOneField(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="professional"
    )
    rpps = models.CharField(
        _("numéro RPPS"), max_length=11, unique=True, validators=[validate_rpps]
    )
    # The name the professional practises under (the directory's "nom et prénom
    # d'exercice"); for an account made by hand, the login's names.
    last_name = models.CharField(_("nom d’exercice"), max_length=150, blank=True)
    first_name = models.CharField(_("prénom d’exercice"), max_length=150, blank=True)
    profession = models.CharField(_("profession"), max_length=32, choices=Profession.choices)
    specialty = models.CharField(
        _("spécialité"), max_length=32, choices=Specialty.choices, blank=True
    )
    # What the directory calls the profession and specialty, when our lists have
    # no closer entry ("Opticien-lunetier", "Santé publique et médecine sociale").
    profession_label = models.CharField(_("profession (annuaire)"), max_length=120, blank=True)
    specialty_label = models.CharField(_("spécialité (annuaire)"), max_length=120, blank=True)
    practice_name = models.CharField(_("lieu d’exercice"), max_length=200, blank=True)
    practice_address = models.CharField(_("adresse d’exercice"), max_length=255, blank=True)
    practice_postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    practice_city = models.CharField(_("commune"), max_length=100, blank=True)
    practice_phone = models.CharField(
        _("téléphone professionnel"), max_length=20, blank=True, validators=[validate_phone]
    )

    class Meta:
        verbose_name = _("professionnel de santé")
        verbose_name_plural = _("professionnels de santé")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(profession="specialiste")
                | ~models.Q(specialty="")
                | ~models.Q(specialty_label=""),
                violation_error_message=_("Indiquez la spécialité du médecin spécialiste."),
                name="professional_specialist_has_specialty",
            ),
            models.CheckConstraint(
                condition=models.Q(rpps__regex=r"^[0-9]{11}$"),
                violation_error_message=_("Le numéro RPPS doit comporter exactement 11 chiffres."),
                name="professional_rpps_11_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_profession_display()})"

    @property
    def full_name(self) -> str:
        """First name and surname as practised, else the login's."""
        if self.last_name:
            return f"{self.first_name} {self.last_name}".strip()
        return self.user.get_full_name() if self.user is not None else ""

    @property
    def display_name(self) -> str:
        prefix = "Dr " if self.profession in {"generaliste", "specialiste", "urgentiste"} else ""
        return f"{prefix}{self.full_name}".strip() or f"RPPS {self.rpps}"

    @property
    def title(self) -> str:
        """Profession with specialty, as shown next to the name."""
        if self.profession == Profession.SPECIALIST and (self.specialty or self.specialty_label):
            specialty = self.get_specialty_display() if self.specialty else self.specialty_label
            return f"{self.get_profession_display()} ({specialty})"
        if self.profession == Profession.OTHER and self.profession_label:
            return self.profession_label
        return str(self.get_profession_display())


class SignInDay(models.Model):
    """A day someone signed in, once per person and day: what the national figures
    count (weekly connections, people who come back). No time, address or
    device: only the day. Kept ``SIGN_IN_DAYS_KEPT`` days."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        verbose_name = _("jour de connexion")
        verbose_name_plural = _("jours de connexion")
        indexes = [models.Index(fields=["day"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"],
                violation_error_message=_("Cette connexion est déjà comptée pour ce jour."),
                name="sign_in_day_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


# Thirteen months and their month before, and a margin: the figures of a year
# of "people who come back" are computed (and then kept) within it.
SIGN_IN_DAYS_KEPT = 430
