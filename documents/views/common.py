"""Document pages shared by patients (and guardians), professionals and carers.

Each handler receives a ``RecordAccess`` the URL module established; reads go
through ``access.documents()`` (filtered in SQL), and every look at a
document by someone other than the patient is logged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from consent.forms import ConfidentialityForm
from consent.models import AccessAction
from consent.policy import RecordAccess
from consent.views.confidentiality import apply_confidentiality
from documents import search, selectors, services
from documents.forms import DepositForm, DocumentFilterForm, NewVersionForm, VisibilityForm
from documents.ingestion import render as rendering
from documents.models import Document, DocumentKind
from documents.routing import document_reverse
from messpace.forms import apply_errors
from messpace.uploads import TOO_LARGE_ATTR
from records.sections import SECTIONS

INLINE_KINDS = {DocumentKind.PDF, DocumentKind.JPEG, DocumentKind.PNG}


def _context(access: RecordAccess, **extra: Any) -> dict[str, Any]:
    sections = [s for s in SECTIONS if access.sees_section(s.key)]
    return {
        "access": access,
        "patient": access.patient,
        "sections": sections,
        "current": "documents",
        "urls": _Urls(access),
        **extra,
    }


class _Urls:
    """``{{ urls.detail }}``-style helpers for templates, bound to the actor's space."""

    def __init__(self, access: RecordAccess) -> None:
        self.access = access

    def __getitem__(self, name: str) -> str:
        return document_reverse(self.access, name)

    def of(self, name: str, document: Document) -> str:
        return document_reverse(self.access, name, document.pk)


def _require_documents(access: RecordAccess) -> None:
    if not access.sees_documents():
        raise Http404


def document_list(request: HttpRequest, access: RecordAccess) -> HttpResponse:
    _require_documents(access)
    access.log(action=AccessAction.READ, what="documents")
    form = DocumentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.document_list(access=access, filters=filters)
    if filters.get("q"):
        qs = search.search_filter(qs, filters["q"])
    page = Paginator(qs, settings.MESSPACE_SECTION_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "documents/list.html",
        _context(
            access,
            form=form,
            page=page,
            pagination_query=query.urlencode(),
            pending=selectors.pending_uploads(access=access),
            deposit_form=DepositForm(),
        ),
    )


def _posted_file(request: HttpRequest) -> tuple[Any, bool]:
    return request.FILES or None, bool(getattr(request, TOO_LARGE_ATTR, False))


def document_deposit(request: HttpRequest, access: RecordAccess) -> HttpResponse:
    _require_documents(access)
    # Who may deposit is one rule, the API's and the service's too; a reader of
    # the documents who may not write is told so (403), anyone else gets 404 above.
    if not access.may_deposit():
        raise PermissionDenied
    form = _bound(request, DepositForm)
    if request.method == "POST" and form.is_valid():
        response = _deposit(request, access, form, replaces=None)
        if response is not None:
            return response
    return render(request, "documents/deposit.html", _context(access, form=form))


def _bound(request: HttpRequest, form_class: type[DepositForm], **kwargs: Any) -> DepositForm:
    if request.method != "POST":
        return form_class(**kwargs)
    files, too_large = _posted_file(request)
    return form_class(request.POST, files, too_large=too_large, **kwargs)


def _deposit(
    request: HttpRequest, access: RecordAccess, form: DepositForm, replaces: Document | None
) -> HttpResponse | None:
    upload = form.cleaned_data["file"]
    try:
        deposit = services.document_deposit(
            access=access,
            content=upload.read(),
            filename=upload.name or "",
            declared_mime=upload.content_type or "",
            doc_type=form.cleaned_data["doc_type"],
            title=form.cleaned_data["title"],
            act_date=form.cleaned_data["act_date"],
            author_label=form.cleaned_data.get("author_label") or "",
            replaces=replaces,
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    if deposit.created:
        messages.success(
            request,
            _("Le document a été reçu : il apparaîtra dans le dossier dès qu’il aura été vérifié."),
        )
    else:
        messages.info(
            request, _("Ce document avait déjà été déposé : il n’a pas été ajouté deux fois.")
        )
    return redirect(document_reverse(access, "list"))


def document_detail(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    _require_documents(access)
    document = access.document_or_404(pk)
    access.log(action=AccessAction.READ, what="document", object_id=document.pk)
    rendered = ""
    if document.kind in {DocumentKind.CDA, DocumentKind.FHIR}:
        content = services.document_original(access=access, document=document, log=False)
        if document.kind == DocumentKind.CDA:
            rendered = rendering.cda_to_html(content)
        else:
            rendered = rendering.fhir_to_html(content)
    versions = selectors.document_versions(access=access, document=document)
    return render(
        request,
        "documents/detail.html",
        _context(
            access,
            document=document,
            rendered=rendered,
            versions=versions,
            inline=document.kind in INLINE_KINDS,
            may_delete=access.may_delete_document(document),
            may_version=access.may_replace_document(document),
        ),
    )


def _file_response(document: Document, content: bytes, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=document.mime)
    disposition = "attachment" if attachment else "inline"
    # RFC 6266 with an ASCII fallback: the stored name is already free of paths
    # and control characters.
    ascii_name = document.filename.encode("ascii", "replace").decode().replace("?", "_")
    from urllib.parse import quote

    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.filename)}"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Nothing in a document may run or load anything; the viewer frame is ours only.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
        "object-src 'self'; frame-ancestors 'self'"
    )
    return response


@xframe_options_sameorigin
def document_content(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    """The original, inline (PDF and images only: other kinds are shown rendered)."""
    _require_documents(access)
    document = access.document_or_404(pk)
    if document.kind not in INLINE_KINDS:
        raise Http404
    content = services.document_original(access=access, document=document)
    return _file_response(document, content, attachment=False)


def document_download(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    _require_documents(access)
    document = access.document_or_404(pk)
    content = services.document_original(access=access, document=document)
    return _file_response(document, content, attachment=True)


def document_preview(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    _require_documents(access)
    document = access.document_or_404(pk)
    access.log(action=AccessAction.READ, what="document", object_id=document.pk)
    png = services.document_preview(access=access, document=document)
    if png is None:
        raise Http404
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


def document_visibility(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    document = access.document_or_404(pk)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    services.document_visibility_set(
        access=access, document=document, hidden=form.cleaned_data["hidden"]
    )
    if form.cleaned_data["hidden"]:
        messages.success(
            request,
            _(
                "« %(title)s » est masqué aux professionnels, sauf à son auteur et à votre médecin traitant."
            )
            % {"title": document.title},
        )
    else:
        messages.success(
            request,
            _("« %(title)s » n’est plus masqué aux professionnels.") % {"title": document.title},
        )
    return redirect(document_reverse(access, "detail", document.pk))


def document_confidentiality(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    """Keep a minor's document from their guardians, or stop (POST only)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    document = access.document_or_404(pk)
    form = ConfidentialityForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    confidential: bool = form.cleaned_data["confidential"]
    apply_confidentiality(
        request,
        lambda: services.document_guardian_confidentiality_set(
            access=access, document=document, confidential=confidential
        ),
        document.title,
        confidential,
    )
    return redirect(document_reverse(access, "detail", document.pk))


def document_delete(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    document = access.document_or_404(pk)
    if request.method == "POST":
        services.document_delete(access=access, document=document)
        messages.success(
            request, _("Le document « %(title)s » a été supprimé.") % {"title": document.title}
        )
        return redirect(document_reverse(access, "list"))
    if not access.may_delete_document(document):
        raise PermissionDenied(services.DELETE_REFUSED)
    return render(request, "documents/delete.html", _context(access, document=document))


def document_new_version(request: HttpRequest, access: RecordAccess, pk: int) -> HttpResponse:
    document = access.document_or_404(pk)
    if not access.may_replace_document(document):
        raise PermissionDenied(services.REPLACE_REFUSED)
    initial = {"doc_type": document.doc_type, "title": document.title}
    form = _bound(request, NewVersionForm, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _deposit(request, access, form, replaces=document)
        if response is not None:
            return response
    return render(request, "documents/deposit.html", _context(access, form=form, replaces=document))
