from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    WEEK = "week", _("semaine")
    MONTH = "month", _("mois")


class NationalFigure(models.Model):
    """One metric's value for one week or month, as the nightly task computed it."""

    metric = models.CharField(_("indicateur"), max_length=40)
    period = models.CharField(_("période"), max_length=8, choices=Period.choices)
    starts_on = models.DateField(_("début de la période"))
    # A count, or a percentage for the shares; None when it has no meaning
    # (a share of nobody).
    value = models.FloatField(_("valeur"), null=True)
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)

    class Meta:
        verbose_name = _("chiffre national")
        verbose_name_plural = _("chiffres nationaux")
        ordering = ["metric", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period", "starts_on"],
                violation_error_message=_("Ce chiffre est déjà calculé pour cette période."),
                name="national_figure_once_per_period",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                violation_error_message=_("Un chiffre national n’est jamais négatif."),
                name="national_figure_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.starts_on}"
