"""A professional's view of their patients' records, through the consent policy.

Declaring a care relationship and emergency access, which open a record, are
consent pages (:mod:`consent.views.professional`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from consent import services as consent_services
from consent.access import professional_access, professional_required
from consent.policy import professional_patients
from records.views import common

if TYPE_CHECKING:
    from messpace.accounts.models import User


@professional_required
def patient_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    # By the surname in use (the used name when there is one), then first names.
    surname = Coalesce(NullIf("used_name", Value("")), "birth_names")
    qs = professional_patients(user, with_basis=True).order_by(surname.asc(), "given_names", "pk")
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
            "can_break_glass": consent_services.may_break_glass(user),
        },
    )


@professional_required
def dashboard(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.dashboard(request, professional_access(request, patient_id))


@professional_required
def section_list(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    access = professional_access(request, patient_id)
    return common.section_list(request, access, slug)


@professional_required
def section_add(request: HttpRequest, patient_id: int, slug: str) -> HttpResponse:
    access = professional_access(request, patient_id)
    return common.section_add(request, access, slug)


@professional_required
def section_edit(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    access = professional_access(request, patient_id)
    return common.section_edit(request, access, slug, pk)


@professional_required
def section_delete(request: HttpRequest, patient_id: int, slug: str, pk: int) -> HttpResponse:
    access = professional_access(request, patient_id)
    return common.section_delete(request, access, slug, pk)


@professional_required
def entry_confidentiality(
    request: HttpRequest, patient_id: int, slug: str, pk: int
) -> HttpResponse:
    return common.entry_confidentiality(request, professional_access(request, patient_id), slug, pk)


@professional_required
def timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    return common.timeline(request, professional_access(request, patient_id))
