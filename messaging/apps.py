from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messagerie sécurisée")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from messaging.models import Thread
        from messpace.vault import register_sealed

        # Master-key rotation re-wraps each thread's data key.
        register_sealed(Thread, owner=lambda t: t.owner, owner_fields=("public_id",))
