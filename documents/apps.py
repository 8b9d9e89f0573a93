from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from consent.policy import RecordAccess
    from records.panels import DashboardPanel


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
        from messpace.console.menu import MenuItem
        from messpace.console.menu import register as menu_register
        from messpace.console.roles import ConsoleRole

        menu_register(
            MenuItem(
                label=_("Quarantaine des dépôts"),
                url_name="console-documents:quarantine",
                roles=frozenset({ConsoleRole.ADMIN}),
                section=_("Documents"),
                description=_(
                    "Les dépôts refusés par le traitement : les examiner, motif à l’appui, "
                    "puis les libérer ou les supprimer."
                ),
                order=20,
            )
        )
        from records import panels

        # records may not import documents: it asks this provider for its card.
        panels.register(
            panels.PanelRegistration(
                key="recent_documents", provider=_recent_documents_panel, clinical_only=True
            )
        )


def _recent_documents_panel(access: RecordAccess) -> DashboardPanel | None:
    """The clinical summary's "Documents récents": one query, and no log row of its
    own (the dashboard's READ covers what it lists, as the documents list's one
    row covers its page; opening a document logs that document)."""
    if not access.sees_documents():
        return None
    from documents.selectors import documents_recent
    from records.panels import DashboardPanel

    return DashboardPanel(
        template_name="documents/_dashboard_panel.html",
        context={"documents": documents_recent(access=access, limit=5)},
    )
