from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from documents.models import Document, Upload
        from messpace.vault import register_sealed

        # Master-key rotation re-wraps these rows' data keys.
        register_sealed(Upload, owner=lambda u: f"upload:{u.pk}", owner_fields=())
        register_sealed(
            Document, owner=lambda d: f"document:{d.public_id}", owner_fields=("public_id",)
        )
        from documents import checks, figures

        checks.register()
        figures.register_metrics()
