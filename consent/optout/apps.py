from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OptoutConfig(AppConfig):
    name = "consent.optout"
    label = "optout"
    verbose_name = _("Ouverture des dossiers (opposition)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from consent.optout.models import Campaign, CohortImport, LetterBatch
        from messpace.vault import register_sealed

        # Master-key rotation re-wraps the data keys of the imported CSV files,
        # of the campaigns' personal codes and of the printed letter batches.
        register_sealed(CohortImport, owner=lambda i: i.owner, owner_fields=("public_id",))
        register_sealed(Campaign, owner=lambda c: f"campaign:{c.pk}", owner_fields=())
        register_sealed(LetterBatch, owner=lambda b: b.owner, owner_fields=())
