"""Structures and their members, as admins manage them in the console.

The national extract brings most structures and who practises where
(``Activity`` rows it lists). Admins add what it does not know:

- **a structure of their own** (a hospital department, a team the extract
  does not name): its technical id is ``MSP-`` and a random part, never one of the
  extract's, so no import ever overwrites it. A structure from the extract is
  not edited here: the next extract would undo the change.
- **a member**: a professional (by RPPS) declared at a structure. A full
  extract keeps the members an admin declared; removing a member the extract
  lists lasts until the next extract lists them again (the page says so).

Every change refreshes the search listings of the professionals it touches.
Messaging's shared inboxes (issue 12) read these members.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret

from messpace.accounts.models import Professional
from messpace.accounts.validators import normalize_phone, validate_rpps
from messpace.directory.models import Activity, Structure, StructureKind
from messpace.directory.services import listings_refresh

if TYPE_CHECKING:
    from messpace.accounts.models import User

OWN_PREFIX = "MSP-"
MODE_MAX_LENGTH = Activity._meta.get_field("mode").max_length or 60


def is_own(structure: Structure) -> bool:
    """Whether admins made this structure (rather than the national extract)."""
    return structure.technical_id.startswith(OWN_PREFIX)


# What an admin may set on a structure of their own.
FIELDS = ("kind", "name", "siret", "finess", "address", "postcode", "city", "phone")


def _cleaned(data: dict[str, str]) -> dict[str, str]:
    """The structure's fields checked and normalised; ``ValidationError`` per field."""
    errors: dict[str, list[str]] = {}
    out = {key: " ".join((data.get(key) or "").split()) for key in FIELDS}
    if not out.get("name"):
        errors["name"] = [_("Indiquez le nom de la structure.")]
    if out.get("kind") not in StructureKind.values:
        errors["kind"] = [_("Choisissez le type de la structure dans la liste.")]
    siret = out.get("siret", "").replace(" ", "")
    if siret:
        try:
            out["siret"] = stdnum_siret.validate(siret)
        except StdnumError:
            errors["siret"] = [
                _("Ce SIRET n’est pas valide : 14 chiffres, dont une clé de contrôle.")
            ]
    finess = out.get("finess", "").replace(" ", "").upper()
    out["finess"] = finess
    if finess and not (
        len(finess) == 9
        and finess[0].isdigit()
        and finess[1] in "0123456789AB"
        and finess[2:].isdigit()
    ):
        errors["finess"] = [
            _("Le numéro FINESS comporte 9 caractères : 2 pour le département, puis 7 chiffres.")
        ]
    postcode = out.get("postcode", "")
    if postcode and not (len(postcode) == 5 and postcode.isdigit()):
        errors["postcode"] = [_("Le code postal comporte 5 chiffres.")]
    if out.get("phone"):
        try:
            out["phone"] = normalize_phone(out["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return out


def structure_create(*, by: User, **data: str) -> Structure:
    """A structure of the admins' own (see the module's note); refused field by
    field, in French, with nothing written."""
    fields = _cleaned(data)
    return Structure.objects.create(technical_id=f"{OWN_PREFIX}{uuid.uuid4().hex[:16]}", **fields)


def structure_update(*, structure: Structure, by: User, **data: str) -> Structure:
    """Change a structure of the admins' own; one from the extract is refused."""
    if not is_own(structure):
        raise ValidationError(
            _(
                "Cette structure vient de l’annuaire national : la prochaine extraction "
                "remplacerait vos changements. Faites-les corriger à la source."
            )
        )
    fields = _cleaned(data)
    with transaction.atomic():
        Structure.objects.filter(pk=structure.pk).update(updated_at=timezone.now(), **fields)
        member_ids = list(structure.activities.values_list("professional_id", flat=True))
        listings_refresh(professional_ids=member_ids)
    structure.refresh_from_db()
    return structure


def member_add(*, structure: Structure, by: User, rpps: str, mode: str = "") -> Activity:
    """Declare the professional with this RPPS a member of ``structure``.

    Refused, in French: an invalid RPPS, one the directory does not know, a
    professional already a member, a mode of practice too long.
    """
    rpps = (rpps or "").replace(" ", "")
    try:
        validate_rpps(rpps)
    except ValidationError as exc:
        raise ValidationError({"rpps": exc.messages}) from exc
    mode = " ".join((mode or "").split())
    if len(mode) > MODE_MAX_LENGTH:
        raise ValidationError(
            {
                "mode": [
                    _("Le mode d’exercice fait au plus %(n)d caractères.") % {"n": MODE_MAX_LENGTH}
                ]
            }
        )
    professional = Professional.objects.filter(rpps=rpps).first()
    if professional is None:
        raise ValidationError(
            {
                "rpps": [
                    _(
                        "Aucun professionnel de l’annuaire n’a le RPPS %(rpps)s : importez "
                        "l’extraction qui le cite, ou vérifiez le numéro."
                    )
                    % {"rpps": rpps}
                ]
            }
        )
    try:
        with transaction.atomic():
            activity = Activity.objects.create(
                professional=professional,
                structure=structure,
                mode=mode,
                declared_by=by,
                declared_at=timezone.now(),
            )
            listings_refresh(professional_ids=[professional.pk])
    except IntegrityError:
        raise ValidationError(
            {
                "rpps": [
                    _("%(name)s est déjà membre de cette structure.")
                    % {"name": professional.display_name}
                ]
            }
        ) from None
    return activity


def member_remove(*, structure: Structure, activity_id: int, by: User) -> bool:
    """Remove a member from ``structure``; returns whether there was one."""
    with transaction.atomic():
        activity = (
            Activity.objects.select_for_update().filter(pk=activity_id, structure=structure).first()
        )
        if activity is None:
            return False
        professional_id = activity.professional_id
        activity.delete()
        listings_refresh(professional_ids=[professional_id])
    return True
