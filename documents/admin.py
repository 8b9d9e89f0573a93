"""Admin of deposits and documents: technical metadata only, and the quarantine review.

The lists and change pages show what an operator needs and nothing of the
care: ids, states, sizes, file types (kind and MIME, never the clinical
document type), dates. No title, file name, author, patient or text, and no
search but by id. An admin who must decide on a quarantined upload opens its
review page (``<id>/examiner/``), types why, and only then sees what is needed
to decide (title, declared type, depositor, patient, the quarantine reason),
with the release and discard buttons; each opening is written to the
patient's access history (``documents.services.upload_review_open``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from documents import services
from documents.models import Document, Upload, UploadState


class QuarantineReviewForm(forms.Form):
    """The reason for opening a quarantined upload; its rules are the service's."""

    reason = forms.CharField(
        label=_("Motif du contrôle"),
        required=False,
        max_length=services.REVIEW_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Pourquoi vous devez voir ce dépôt (10 caractères au moins). Le motif est "
            "conservé avec le dépôt ; l’ouverture est inscrite dans l’historique des accès "
            "du patient."
        ),
    )


REVIEW_URL_NAME = "documents_upload_review"


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = (
        "id",
        "created_at",
        "state",
        "reason_code",
        "declared_mime",
        "size",
        "attempts",
        "processed_at",
        "review_link",
    )
    list_filter = ("state", "reason_code")
    search_fields = ("id__exact",)
    fields = (
        "id",
        "state",
        "reason_code",
        "declared_mime",
        "size",
        "attempts",
        "created_at",
        "claimed_at",
        "processed_at",
        "released_at",
        "reviewed_at",
        "review_link",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        # Before the defaults, whose "<path:object_id>/" would take it.
        view = self.admin_site.admin_view(self.review_view)
        return [
            path("<uuid:upload_id>/examiner/", view, name=REVIEW_URL_NAME),
            *super().get_urls(),
        ]

    @admin.display(description=_("contrôle"))
    def review_link(self, obj: Upload) -> str:
        if obj.state != UploadState.QUARANTINED:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse(f"admin:{REVIEW_URL_NAME}", args=[obj.pk]),
            _("Examiner ce dépôt"),
        )

    def review_view(self, request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
        """GET: the reason form, nothing of the upload. POST a reason: the upload's
        contents and the decision buttons (logged). POST a decision: act, if this
        admin opened it a moment ago."""
        upload = Upload.objects.filter(pk=upload_id, state=UploadState.QUARANTINED).first()
        if upload is None:
            raise Http404
        if not self.has_change_permission(request, upload):
            raise PermissionDenied
        user = request.user
        form = QuarantineReviewForm()
        opened: Upload | None = None
        refusal = ""
        decision = request.POST.get("decision") if request.method == "POST" else None
        if decision in {"release", "discard"}:
            try:
                services.upload_review_decide(
                    upload=upload,
                    by=user,  # type: ignore[arg-type]
                    release=decision == "release",
                )
            except PermissionDenied as exc:
                refusal = str(exc)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return redirect(reverse(f"admin:{REVIEW_URL_NAME}", args=[upload.pk]))
            else:
                done = (
                    _("Dépôt libéré : il va être traité à nouveau.")
                    if decision == "release"
                    else _("Dépôt supprimé.")
                )
                self.log_change(request, upload, str(done))
                self.message_user(request, done, messages.SUCCESS)
                return redirect(reverse("admin:documents_upload_changelist"))
        elif request.method == "POST":
            form = QuarantineReviewForm(request.POST)
            if form.is_valid():
                try:
                    opened = services.upload_review_open(
                        upload=upload,
                        by=user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error("reason", message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Contrôle d’un dépôt en quarantaine"),
            "upload": upload,
            "opened": opened,
            "depositor": _depositor_label(opened) if opened is not None else "",
            "form": form,
            "refusal": refusal,
            "has_view_permission": self.has_view_permission(request),
            "may_release": opened is not None and opened.reason_code != "malware",
        }
        return TemplateResponse(request, "admin/documents/upload/review.html", context)


def _depositor_label(upload: Upload) -> str:
    user = upload.depositor
    if user.is_professional:
        professional = user.professional
        return f"{professional.display_name}, {professional.title} (RPPS {professional.rpps})"
    return f"{user.get_full_name() or user.email} ({upload.get_depositor_kind_display()})"


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin[Document]):
    list_display = ("id", "created_at", "kind", "mime", "size", "version", "is_current")
    list_filter = ("kind", "is_current")
    search_fields = ("id__exact",)
    fields = (
        "id",
        "kind",
        "mime",
        "size",
        "page_count",
        "version",
        "is_current",
        "created_at",
        "notified_at",
        "deleted_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
