"""A professional's view of their patients' records, through the consent policy."""

from __future__ import annotations

from functools import wraps
from typing import Any, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from consent.policy import professional_patients, professional_record_access
from records.views import common


class _View(Protocol):
    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse: ...


def professional_required(view: _View) -> _View:
    """Only professionals reach these pages; anyone else gets a 404."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_professional:  # type: ignore[union-attr]
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@professional_required
def patient_list(request: HttpRequest) -> HttpResponse:
    qs = professional_patients(request.user).order_by("birth_names", "given_names", "pk")  # type: ignore[arg-type]
    query = (request.GET.get("q") or "").strip()[:100]
    if query:
        compact = query.replace(" ", "")
        qs = qs.filter(
            Q(birth_names__icontains=query)
            | Q(used_name__icontains=query)
            | Q(given_names__icontains=query)
            | Q(nir__startswith=compact.upper())
        )
    page = Paginator(qs, settings.MESSPACE_SECTION_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "records/pro/patient_list.html",
        {
            "page": page,
            "query": query,
            "pagination_query": urlencode({"q": query}) if query else "",
        },
    )


@professional_required
def dashboard(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.dashboard(request, professional_record_access(request.user, patient_id))  # type: ignore[arg-type]


@professional_required
def section_list(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    access = professional_record_access(request.user, patient_id)  # type: ignore[arg-type]
    return common.section_list(request, access, slug)


@professional_required
def section_add(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    access = professional_record_access(request.user, patient_id)  # type: ignore[arg-type]
    return common.section_add(request, access, slug)


@professional_required
def section_edit(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    access = professional_record_access(request.user, patient_id)  # type: ignore[arg-type]
    return common.section_edit(request, access, slug, pk)


@professional_required
def section_delete(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    access = professional_record_access(request.user, patient_id)  # type: ignore[arg-type]
    return common.section_delete(request, access, slug, pk)


@professional_required
def timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.timeline(request, professional_record_access(request.user, patient_id))  # type: ignore[arg-type]
