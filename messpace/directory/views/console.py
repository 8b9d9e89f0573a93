"""The directory in the console (admins; namespace ``console-directory``).

- **Imports of the national extract**: the list, a new import (the file is
  public data, spooled to a temporary file: the national extract weighs
  several hundred MB), one import's progress (refreshed while it runs) and its
  refused lines, and resuming an import whose message was lost.
- **Structures**: a search, a structure of the admins' own, and a structure's
  members (the extract's and the declared), added by RPPS or removed.
- **Professionals**: a search (the directory's, or an RPPS), one
  professional's places of practice and account, and the invitation that
  makes a listed professional a user.

Public professional data only. The rules are in ``services`` and ``structures``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from messpace.accounts import services as account_services
from messpace.accounts.models import Professional
from messpace.console.roles import ConsoleRole, console_page
from messpace.csvfile import too_large_message
from messpace.directory import selectors, services, structures
from messpace.directory.extract import COLUMNS, REQUIRED
from messpace.directory.forms import (
    ExtractUploadForm,
    MemberForm,
    ProfessionalInviteForm,
    ProfessionalSearchForm,
    StructureForm,
    StructureSearchForm,
)
from messpace.directory.models import DirectoryImport, Structure
from messpace.forms import apply_errors
from messpace.uploads import BoundedTemporaryFileUploadHandler, upload_too_large, uploads_through

if TYPE_CHECKING:
    from messpace.accounts.models import User

IMPORTS_PER_PAGE = 50
ERROR_LINES_PER_PAGE = 100


# --- Imports ---


@console_page(ConsoleRole.ADMIN)
def imports(request: HttpRequest) -> HttpResponse:
    rows = DirectoryImport.objects.order_by("-created_at", "-pk")
    page = Paginator(rows, IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/console/imports.html", {"page": page})


@console_page(ConsoleRole.ADMIN)
@uploads_through(lambda request: [BoundedTemporaryFileUploadHandler(request)])
def import_new(request: HttpRequest) -> HttpResponse:
    form = ExtractUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and upload_too_large(request):
        form = ExtractUploadForm(request.POST)
        form.is_valid()
        form.errors.clear()
        form.add_error("file", too_large_message(settings.MESSPACE_DIRECTORY_MAX_BYTES))
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            directory_import = services.directory_import_start(
                by=request.user,  # type: ignore[arg-type]
                filename=upload.name or "",
                stream=upload,
                full_extract=form.cleaned_data["full_extract"],
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(
                request,
                _("Fichier reçu : %(rows)d lignes à importer, en arrière-plan.")
                % {"rows": directory_import.total_rows},
            )
            return redirect("console-directory:import", pk=directory_import.pk)
    return render(
        request,
        "directory/console/import_new.html",
        {
            "form": form,
            "required_columns": [COLUMNS[key] for key in REQUIRED],
            "read_columns": [name for key, name in COLUMNS.items() if key not in REQUIRED],
            "console_section": "console-directory:imports",
        },
    )


@console_page(ConsoleRole.ADMIN)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    directory_import = DirectoryImport.objects.filter(pk=pk).first()
    if directory_import is None:
        raise Http404
    context: dict[str, Any] = {
        "directory_import": directory_import,
        "console_section": "console-directory:imports",
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        return render(request, "directory/console/_import_progress.html", context)
    errors = directory_import.errors.order_by("line")
    context["errors"] = Paginator(errors, ERROR_LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/console/import.html", context)


@console_page(ConsoleRole.ADMIN)
@require_POST
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    if not DirectoryImport.objects.filter(pk=pk).exists():
        raise Http404
    if services.directory_import_resume(import_id=pk):
        messages.success(request, _("L’import reprend là où il s’était arrêté."))
    else:
        messages.info(request, _("Cet import est terminé : il n’y a rien à reprendre."))
    return redirect("console-directory:import", pk=pk)


# --- Structures ---


@console_page(ConsoleRole.ADMIN)
def structure_list(request: HttpRequest) -> HttpResponse:
    form = StructureSearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = list(selectors.structures_search(form.cleaned_data["q"]))
    return render(
        request,
        "directory/console/structures.html",
        {"form": form, "results": results, "shown_max": selectors.STRUCTURES_SHOWN},
    )


@console_page(ConsoleRole.ADMIN)
def structure_new(request: HttpRequest) -> HttpResponse:
    form = StructureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            structure = structures.structure_create(by=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Structure « %(name)s » créée. Ajoutez-lui ses membres.")
                % {"name": structure.name},
            )
            return redirect("console-directory:structure", pk=structure.pk)
    return render(
        request,
        "directory/console/structure_new.html",
        {"form": form, "console_section": "console-directory:structures"},
    )


def _structure_or_404(pk: int) -> Structure:
    structure = Structure.objects.filter(pk=pk).first()
    if structure is None:
        raise Http404
    return structure


def _structure_page(
    request: HttpRequest,
    structure: Structure,
    *,
    edit_form: StructureForm | None = None,
    member_form: MemberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    own = structures.is_own(structure)
    if edit_form is None and own:
        edit_form = StructureForm(
            initial={name: getattr(structure, name) for name in structures.FIELDS}
        )
    return render(
        request,
        "directory/console/structure.html",
        {
            "structure": structure,
            "own": own,
            "edit_form": edit_form,
            "member_form": member_form or MemberForm(),
            "members": list(selectors.structure_members(structure)),
            "console_section": "console-directory:structures",
        },
        status=status,
    )


@console_page(ConsoleRole.ADMIN)
def structure(request: HttpRequest, pk: int) -> HttpResponse:
    return _structure_page(request, _structure_or_404(pk))


@console_page(ConsoleRole.ADMIN)
@require_POST
def structure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    current = _structure_or_404(pk)
    form = StructureForm(request.POST)
    if form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            structures.structure_update(structure=current, by=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Structure enregistrée."))
            return redirect("console-directory:structure", pk=pk)
    return _structure_page(request, current, edit_form=form, status=400)


@console_page(ConsoleRole.ADMIN)
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    current = _structure_or_404(pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            activity = structures.member_add(
                structure=current,
                by=user,
                rpps=form.cleaned_data["rpps"],
                mode=form.cleaned_data["mode"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s est maintenant membre de « %(structure)s ».")
                % {"name": activity.professional.display_name, "structure": current.name},
            )
            return redirect("console-directory:structure", pk=pk)
    return _structure_page(request, current, member_form=form, status=400)


@console_page(ConsoleRole.ADMIN)
@require_POST
def member_remove(request: HttpRequest, pk: int, activity_id: int) -> HttpResponse:
    current = _structure_or_404(pk)
    user: User = request.user  # type: ignore[assignment]
    if not structures.member_remove(structure=current, activity_id=activity_id, by=user):
        raise Http404
    messages.success(request, _("Membre retiré de la structure."))
    return redirect("console-directory:structure", pk=pk)


# --- Professionals: who is listed, and the invitation to join ---


@console_page(ConsoleRole.ADMIN)
def professional_list(request: HttpRequest) -> HttpResponse:
    form = ProfessionalSearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        compact = query.replace(" ", "")
        if compact.isdigit() and len(compact) == 11:
            by_rpps = Professional.objects.filter(rpps=compact).select_related("user").first()
            results = selectors.SearchResults(
                query=query,
                listings=[selectors.chosen_results(by_rpps).listings[0]] if by_rpps else [],
                matches=1 if by_rpps else 0,
            )
        else:
            results = selectors.directory_search(query)
    return render(
        request,
        "directory/console/professionals.html",
        {"form": form, "results": results, "min_length": selectors.MIN_QUERY_LENGTH},
    )


def _professional_or_404(pk: int) -> Professional:
    professional = Professional.objects.filter(pk=pk).select_related("user").first()
    if professional is None:
        raise Http404
    return professional


def _professional_page(
    request: HttpRequest,
    professional: Professional,
    form: ProfessionalInviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "directory/console/professional.html",
        {
            "professional": professional,
            "joined": professional.user is not None
            and (
                professional.user.has_usable_password() or professional.user.last_login is not None
            ),
            "places": professional.activities.select_related("structure").order_by(
                "structure__name"
            ),
            "form": form or ProfessionalInviteForm(),
            "console_section": "console-directory:professionals",
        },
        status=status,
    )


@console_page(ConsoleRole.ADMIN)
def professional(request: HttpRequest, pk: int) -> HttpResponse:
    return _professional_page(request, _professional_or_404(pk))


@console_page(ConsoleRole.ADMIN)
@require_POST
def professional_invite(request: HttpRequest, pk: int) -> HttpResponse:
    listed = _professional_or_404(pk)
    form = ProfessionalInviteForm(request.POST)
    if form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            account_services.professional_invite(
                by=user, professional=listed, email=form.cleaned_data["email"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("console-directory:professional", pk=pk)
    return _professional_page(request, listed, form, status=400)
