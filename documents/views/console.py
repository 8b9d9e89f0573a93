"""The quarantine in the console (admins): deposits ingestion refused to put in
a record, and the review that releases or discards them.

The list shows technical metadata only (id, date, reason code, declared type
of file, size). Seeing what is needed to decide (title, declared type,
depositor, patient, the quarantine's reason) takes a stated reason, kept
with the deposit and written to the patient's access history
(``documents.services.upload_review_open``); only the admin who opened it,
shortly after, may then release or discard it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents import services
from documents.models import Upload, UploadState
from messpace.console.roles import ConsoleRole, console_page
from messpace.forms import MesspaceForm, apply_errors

if TYPE_CHECKING:
    from messpace.accounts.models import User

UPLOADS_PER_PAGE = 50


class QuarantineReviewForm(MesspaceForm):
    """The reason for opening a quarantined upload; its rules are the service's."""

    reason = forms.CharField(
        label=gettext_lazy("Motif du contrôle"),
        required=False,
        max_length=services.REVIEW_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Pourquoi vous devez voir ce dépôt (10 caractères au moins). Le motif est "
            "conservé avec le dépôt ; l’ouverture est inscrite dans l’historique des accès "
            "du patient."
        ),
    )


@console_page(ConsoleRole.ADMIN)
def quarantine(request: HttpRequest) -> HttpResponse:
    uploads = (
        Upload.objects.filter(state=UploadState.QUARANTINED)
        .only("id", "created_at", "reason_code", "declared_mime", "size", "attempts")
        .order_by("created_at", "id")
    )
    page = Paginator(uploads, UPLOADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "documents/console/quarantine.html", {"page": page})


def _depositor_label(upload: Upload) -> str:
    user = upload.depositor
    if user.is_professional:
        professional = user.professional
        return f"{professional.display_name}, {professional.title} (RPPS {professional.rpps})"
    return f"{user.get_full_name() or user.email} ({upload.get_depositor_kind_display()})"


@console_page(ConsoleRole.ADMIN)
def review(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """GET: the reason form, nothing of the upload. POST a reason: the upload's
    contents and the decision buttons (logged). POST a decision: act, if this
    admin opened it a moment ago."""
    upload = Upload.objects.filter(pk=upload_id, state=UploadState.QUARANTINED).first()
    if upload is None:
        raise Http404
    user: User = request.user  # type: ignore[assignment]
    form = QuarantineReviewForm()
    opened: Upload | None = None
    refusal = ""
    decision = request.POST.get("decision") if request.method == "POST" else None
    if decision in {"release", "discard"}:
        try:
            services.upload_review_decide(upload=upload, by=user, release=decision == "release")
        except PermissionDenied as exc:
            refusal = str(exc)
        except ValidationError as exc:
            refusal = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("Dépôt libéré : il va être traité à nouveau.")
                if decision == "release"
                else _("Dépôt supprimé."),
            )
            return redirect("console-documents:quarantine")
    elif request.method == "POST":
        form = QuarantineReviewForm(request.POST)
        if form.is_valid():
            try:
                opened = services.upload_review_open(
                    upload=upload, by=user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
    return render(
        request,
        "documents/console/review.html",
        {
            "upload": upload,
            "opened": opened,
            "depositor": _depositor_label(opened) if opened is not None else "",
            "form": form,
            "refusal": refusal,
            "may_release": opened is not None and opened.reason_code != "malware",
            "console_section": "console-documents:quarantine",
        },
    )
