"""The patient's own record: each view establishes access, then delegates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from consent.policy import own_record_access
from records.views import common


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return common.dashboard(request, own_record_access(request.user))  # type: ignore[arg-type]


@login_required
def section_list(request: HttpRequest, slug: str) -> HttpResponse:
    return common.section_list(request, own_record_access(request.user), slug)  # type: ignore[arg-type]


@login_required
def section_add(request: HttpRequest, slug: str) -> HttpResponse:
    return common.section_add(request, own_record_access(request.user), slug)  # type: ignore[arg-type]


@login_required
def section_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return common.section_edit(request, own_record_access(request.user), slug, pk)  # type: ignore[arg-type]


@login_required
def section_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return common.section_delete(request, own_record_access(request.user), slug, pk)  # type: ignore[arg-type]


@login_required
def timeline(request: HttpRequest) -> HttpResponse:
    return common.timeline(request, own_record_access(request.user))  # type: ignore[arg-type]
