"""New campaigns from the console: a draft over the records its criteria select,
checked field by field, and its start, once, after the admin confirmed it.

Issuing the notices is :mod:`consent.optout.services.campaigns`' work.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.optout.models import (
    DEFAULT_DELAY_DAYS,
    Campaign,
    CampaignState,
    CohortImport,
    CohortImportState,
)
from consent.optout.services.campaigns import campaign_start, campaign_targets

if TYPE_CHECKING:
    from messpace.accounts.models import User

# A French postcode starts with digits (Corsica's are 20xxx): one to five of them.
POSTCODE_PREFIX_RE = re.compile(r"[0-9]{1,5}")
# The opening comes six weeks after the notice at the earliest (R1111-28), and
# a notice that waits more than a year is no longer news.
MIN_DELAY_DAYS = DEFAULT_DELAY_DAYS
MAX_DELAY_DAYS = 365
FIRST_BIRTH_YEAR = 1900
POSTCODE_PREFIXES_MAX_LENGTH = Campaign._meta.get_field("postcode_prefixes").max_length or 200


def campaign_create(
    *,
    by: User,
    name: str,
    cohort_import: CohortImport | None = None,
    postcode_prefixes: str = "",
    birth_year_from: int | None = None,
    birth_year_to: int | None = None,
    delay_days: int = DEFAULT_DELAY_DAYS,
) -> Campaign:
    """A draft campaign over the records these filters select (all optional).

    Refuses, field by field and in French, a blank name, an import that has
    not finished, a postcode start that is not one to five digits, birth
    years out of range or in the wrong order, and a delay shorter than the
    legal six weeks or longer than a year. Nothing is written when it refuses.
    """
    errors: dict[str, list[str]] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = [_("Donnez un nom à la campagne, par exemple « Paris 11e, mars 2027 ».")]
    if cohort_import is not None and cohort_import.state != CohortImportState.DONE:
        errors["cohort_import"] = [
            _("Cet import n’est pas terminé : attendez sa fin pour viser ses dossiers.")
        ]
    prefixes = [part.strip() for part in postcode_prefixes.split(",") if part.strip()]
    wrong = [part for part in prefixes if not POSTCODE_PREFIX_RE.fullmatch(part)]
    if not wrong and len(", ".join(prefixes)) > POSTCODE_PREFIXES_MAX_LENGTH:
        errors["postcode_prefixes"] = [
            _(
                "Trop de codes postaux : %(max)d caractères au plus ; visez plutôt des "
                "départements (par exemple « 75, 92 »)."
            )
            % {"max": POSTCODE_PREFIXES_MAX_LENGTH}
        ]
    if wrong:
        errors["postcode_prefixes"] = [
            _(
                "« %(wrong)s » n’est pas un début de code postal : de 1 à 5 chiffres, séparés "
                "par des virgules (par exemple « 75, 92, 93 »)."
            )
            % {"wrong": wrong[0]}
        ]
    this_year = timezone.localdate().year
    for field, year in (("birth_year_from", birth_year_from), ("birth_year_to", birth_year_to)):
        if year is not None and not FIRST_BIRTH_YEAR <= year <= this_year:
            errors[field] = [
                _("Indiquez une année de naissance entre %(first)d et %(last)d.")
                % {"first": FIRST_BIRTH_YEAR, "last": this_year}
            ]
    if (
        birth_year_from is not None
        and birth_year_to is not None
        and "birth_year_from" not in errors
        and "birth_year_to" not in errors
        and birth_year_from > birth_year_to
    ):
        errors["birth_year_to"] = [
            _("L’année de fin (%(to)d) précède l’année de début (%(start)d).")
            % {"to": birth_year_to, "start": birth_year_from}
        ]
    if not MIN_DELAY_DAYS <= delay_days <= MAX_DELAY_DAYS:
        errors["delay_days"] = [
            _(
                "Le délai avant ouverture va de %(min)d jours (six semaines, le délai légal) "
                "à %(max)d jours."
            )
            % {"min": MIN_DELAY_DAYS, "max": MAX_DELAY_DAYS}
        ]
    if errors:
        raise ValidationError(errors)
    return Campaign.objects.create(
        name=name,
        created_by=by,
        cohort_import=cohort_import,
        postcode_prefixes=", ".join(prefixes),
        birth_year_from=birth_year_from,
        birth_year_to=birth_year_to,
        delay_days=delay_days,
    )


def campaign_launch(*, campaign_id: int) -> int:
    """Start a draft campaign from the console: refused, in French, when it has
    already started or selects no record; returns the number of notices."""
    already = _("Cette campagne est déjà démarrée : ses avis sont envoyés.")
    nobody = _(
        "Cette campagne ne vise aucun dossier à informer : élargissez ses critères "
        "ou importez la population d’abord."
    )
    with transaction.atomic():
        # Locked: two operators starting it at once start it once, the other told.
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise Campaign.DoesNotExist
        if campaign.state != CampaignState.DRAFT:
            raise ValidationError(already)
        if not campaign_targets(campaign).exists():
            raise ValidationError(nobody)
        count = campaign_start(campaign=campaign)
        if not count:
            # Another campaign took its last records meanwhile: undo the start.
            raise ValidationError(nobody)
    return count
