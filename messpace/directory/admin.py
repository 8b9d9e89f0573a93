"""Admin of the directory: the imports of the national extract (upload, progress,
refused lines) and the structures. Public professional data only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from messpace.directory import services, tasks
from messpace.directory.extract import COLUMNS, REQUIRED
from messpace.directory.models import DirectoryImport, DirectoryImportState, Structure

ERROR_LINES_SHOWN = 500


class ExtractUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Extraction « personne activité » de l’annuaire"),
        help_text=_(
            "Le fichier PS_LibreAcces_Personne_activite publié par l’ANS : texte UTF-8, "
            "colonnes séparées par « | »."
        ),
        error_messages={
            "required": _("Choisissez le fichier à importer."),
            "empty": _("Le fichier est vide."),
        },
    )
    full_extract = forms.BooleanField(
        label=_("Extraction complète : les lieux d’exercice qu’elle ne cite plus prennent fin"),
        required=False,
        initial=True,
    )


@admin.register(DirectoryImport)
class DirectoryImportAdmin(admin.ModelAdmin[DirectoryImport]):
    list_display = (
        "created_at",
        "filename",
        "state",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "error_count",
    )
    list_filter = ("state",)
    fields = (
        "filename",
        "created_at",
        "size",
        "full_extract",
        "state",
        "progress",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "error_count",
        "started_at",
        "finished_at",
        "failure",
        "error_lines",
    )
    readonly_fields = fields
    actions = ("resume_imports",)

    def get_urls(self) -> list[URLPattern]:
        # Declared before the default "add/" so that it replaces it.
        name = f"{self.opts.app_label}_{self.opts.model_name}_add"
        return [path("add/", csrf_exempt(self._upload_entry), name=name), *super().get_urls()]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progression"))
    def progress(self, obj: DirectoryImport) -> str:
        return format_html(
            '<progress max="100" value="{}" aria-label="{}"></progress> {} % ({} / {})',
            obj.progress_percent,
            _("Progression de l’import"),
            obj.progress_percent,
            obj.processed_rows,
            obj.total_rows,
        )

    @admin.display(description=_("lignes refusées"))
    def error_lines(self, obj: DirectoryImport) -> str:
        shown = list(
            obj.errors.order_by("line")[:ERROR_LINES_SHOWN].values_list(
                "line", "identifier", "message"
            )
        )
        if not shown:
            return str(_("Aucune ligne refusée."))
        rows = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>', shown)
        return format_html(
            '<table><caption>{}</caption><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            _("Lignes refusées"),
            _("Ligne"),
            _("Identifiant"),
            _("Motif"),
            rows,
        )

    @admin.action(description=_("Reprendre les imports interrompus"))
    def resume_imports(self, request: HttpRequest, queryset: QuerySet[DirectoryImport]) -> None:
        for directory_import in queryset.filter(
            state__in=[DirectoryImportState.QUEUED, DirectoryImportState.RUNNING]
        ):
            tasks.directory_import_run.delay(directory_import.pk)

    def _upload_entry(self, request: HttpRequest) -> HttpResponse:
        # Public data, and a national extract of several hundred MB: it may be
        # spooled to a temporary file, unlike health documents. The handlers are
        # set before anything reads the body; the admin view checks the CSRF token.
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
        return self.admin_site.admin_view(self.upload_view)(request)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ExtractUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                directory_import = services.directory_import_start(
                    by=request.user,  # type: ignore[arg-type]
                    filename=upload.name or "",
                    stream=upload,
                    full_extract=form.cleaned_data["full_extract"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                self.message_user(
                    request,
                    _("Fichier reçu : %(rows)d lignes à importer, en arrière-plan.")
                    % {"rows": directory_import.total_rows},
                    messages.SUCCESS,
                )
                return redirect(
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                        args=[directory_import.pk],
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Importer l’annuaire national"),
            "form": form,
            "required_columns": [COLUMNS[key] for key in REQUIRED],
            "read_columns": [name for key, name in COLUMNS.items() if key not in REQUIRED],
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/directory/directoryimport/upload.html", context)


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin[Structure]):
    list_display = ("name", "kind", "postcode", "city", "finess", "siret", "technical_id")
    list_filter = ("kind",)
    search_fields = ("name", "city", "postcode", "finess", "siret", "technical_id")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
