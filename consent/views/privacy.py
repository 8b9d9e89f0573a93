"""The patient's privacy pages: who may see their record, what is hidden, who looked.

Every view starts from ``patient_access``: the patient's own active record (404
without one), or the child's a guardian acts for, each visit then logged as the
guardian's. It reads consent rows of that patient only and hands each
change to ``consent.services``. Destructive actions are POST only, behind a
confirmation page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent import selectors, services
from consent.access import patient_access
from consent.forms import (
    AccessLogFilterForm,
    BlockForm,
    CarerInviteForm,
    DesignatedGPForm,
    EmergencyRefusalForm,
    ProfessionalPickerForm,
    ShareForm,
    VisibilityForm,
)
from consent.models import AccessAction, AccessLog
from consent.policy import RecordAccess
from messpace.accounts.models import Professional, User
from messpace.directory.selectors import SearchResults, chosen_results, directory_search
from messpace.directory.views.search import results_context, search_throttled, throttled_results
from messpace.forms import apply_errors
from messpace.grammar import of_name
from records.sections import SECTIONS, SECTIONS_BY_SLUG

HISTORY_PAGE_SIZE = 25


def _access(request: HttpRequest, what: str = "privacy") -> RecordAccess:
    """The patient's access, or a guardian's acting for a child (logged as theirs)."""
    access = patient_access(request)
    action = AccessAction.WRITE if request.method == "POST" else AccessAction.READ
    access.log(action=action, what=what)
    return access


def _privacy_url(anchor: str = "") -> str:
    url = reverse("consent:privacy")
    return f"{url}#{anchor}" if anchor else url


# --- The privacy page ---


def _picker_results(request: HttpRequest, form: ProfessionalPickerForm) -> SearchResults | None:
    """What the picker of ``form`` shows: the professional a refused form named, or,
    without JavaScript, the results of its "Rechercher" button (a GET of this
    page with ``<prefix>-q``), or nothing yet."""
    if form.is_bound:
        return chosen_results(form.chosen) if form.chosen is not None else None
    key = form.add_prefix("q")
    if request.method != "GET" or key not in request.GET:
        return None
    user: User = request.user  # type: ignore[assignment]
    if search_throttled(user):
        return throttled_results(request.GET[key])
    return directory_search(request.GET[key])


def _picker(request: HttpRequest, form: ProfessionalPickerForm) -> dict[str, Any]:
    results = _picker_results(request, form)
    chosen = form.chosen.pk if form.chosen is not None else None
    context = results_context(prefix=form.prefix or "", results=results, chosen=chosen)
    # The search input keeps what was searched (a refused form starts a new search).
    context["query"] = "" if form.is_bound or results is None else results.query
    return context


def _render_privacy(request: HttpRequest, access: RecordAccess, **forms: Any) -> HttpResponse:
    refuses = selectors.refuses_emergency(access)
    gp_form = forms.get("gp_form") or DesignatedGPForm()
    share_form = forms.get("share_form") or ShareForm()
    block_form = forms.get("block_form") or BlockForm()
    context = {
        "access": access,
        "patient": access.patient,
        "sections": SECTIONS,
        "current": "privacy",
        "gp": selectors.designated_gp(access),
        "care_relationships": list(selectors.open_care_relationships(access)),
        "share_groups": selectors.shares_by_professional(access),
        "blocks": list(selectors.blocks(access)),
        "refuses_emergency": refuses,
        "gp_form": gp_form,
        "gp_picker": _picker(request, gp_form),
        "share_form": share_form,
        "share_picker": _picker(request, share_form),
        "block_form": block_form,
        "block_picker": _picker(request, block_form),
        "emergency_form": EmergencyRefusalForm(initial={"refuses": refuses}),
        "carer_rows": selectors.carer_grant_rows(access),
        "carer_form": forms.get("carer_form") or CarerInviteForm(),
    }
    return render(request, "consent/privacy.html", context)


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    """The page; ``?gp-q=…`` (or ``share-q``, ``block-q``) shows that picker's search
    results, for browsers without JavaScript. A search changes nothing."""
    return _render_privacy(request, _access(request))


def _submit_picker_form(
    request: HttpRequest,
    access: RecordAccess,
    form: ProfessionalPickerForm,
    form_name: str,
    action: Any,
    success: str,
    anchor: str,
) -> HttpResponse:
    """Validate a picker form, call the service, and re-render with errors on refusal."""
    if form.is_valid():
        try:
            action(form)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(_privacy_url(anchor))
    return _render_privacy(request, access, **{form_name: form})


@login_required
@require_POST
def gp_set(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = DesignatedGPForm(request.POST)

    def action(f: ProfessionalPickerForm) -> None:
        assert f.selected is not None  # noqa: S101 - set by a valid form
        services.designated_gp_set(access=access, professional=f.selected)

    return _submit_picker_form(
        request,
        access,
        form,
        "gp_form",
        action,
        _("Votre médecin traitant a été enregistré."),
        "medecin-traitant",
    )


@login_required
@require_http_methods(["GET", "POST"])
def gp_clear(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    gp = selectors.designated_gp(access)
    if gp is None:
        return redirect(_privacy_url("medecin-traitant"))
    if request.method == "POST":
        services.designated_gp_clear(access=access)
        messages.success(request, _("Vous n’avez plus de médecin traitant déclaré."))
        return redirect(_privacy_url("medecin-traitant"))
    return _confirm(
        request,
        access,
        title=_("Retirer votre médecin traitant ?"),
        professional=gp.professional,
        explanation=_(
            "Ce médecin ne verra plus votre dossier au titre de médecin traitant, ni les "
            "éléments que vous avez masqués. S’il vous suit par ailleurs (relation de soins "
            "ou partage), il garde cet accès-là."
        ),
        confirm_label=_("Retirer mon médecin traitant"),
        anchor="medecin-traitant",
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_end(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request)
    relationship = selectors.open_care_relationships(access).filter(pk=pk).first()
    if relationship is None:
        raise Http404
    if request.method == "POST":
        services.care_relationship_end(access=access, relationship_id=relationship.pk)
        messages.success(
            request,
            _("La relation de soins avec %(name)s a pris fin.")
            % {"name": relationship.professional.display_name},
        )
        return redirect(_privacy_url("relations-de-soins"))
    return _confirm(
        request,
        access,
        title=_("Mettre fin à cette relation de soins ?"),
        professional=relationship.professional,
        explanation=_(
            "Ce professionnel n’aura plus accès à votre dossier au titre de cette relation. "
            "Il pourra en déclarer une nouvelle lors d’une prochaine consultation."
        ),
        confirm_label=_("Mettre fin à la relation de soins"),
        anchor="relations-de-soins",
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """End a care relationship and block its professional in one step: the link of
    the notice sent when a professional declares a relationship alone."""
    access = _access(request)
    relationship = selectors.open_care_relationships(access).filter(pk=pk).first()
    if relationship is None:
        raise Http404
    name = relationship.professional.display_name
    if request.method == "POST":
        try:
            services.care_relationship_refuse(access=access, relationship_id=relationship.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_privacy_url("relations-de-soins"))
        messages.success(
            request,
            _(
                "La relation de soins avec %(name)s a pris fin et ce professionnel est bloqué : il n’a plus accès à votre dossier."
            )
            % {"name": name},
        )
        return redirect(_privacy_url("blocages"))
    return _confirm(
        request,
        access,
        title=_("Mettre fin à cette relation et bloquer ce professionnel ?"),
        professional=relationship.professional,
        explanation=_(
            "Ce professionnel a déclaré vous suivre le %(date)s, en attestant votre accord. "
            "Si vous confirmez, la relation de soins prend fin et ce professionnel ne pourra "
            "plus consulter votre dossier, sauf accès en urgence. Vous pourrez le débloquer "
            "plus tard dans vos paramètres de confidentialité."
        )
        % {"date": date_format(timezone.localtime(relationship.started_at), "SHORT_DATE_FORMAT")},
        confirm_label=_("Mettre fin et bloquer"),
        anchor="relations-de-soins",
    )


@login_required
@require_POST
def share_grant(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = ShareForm(request.POST)

    def action(f: ProfessionalPickerForm) -> None:
        assert isinstance(f, ShareForm) and f.selected is not None  # noqa: S101
        services.share_grant(
            access=access,
            professional=f.selected,
            sections=f.chosen_sections(),
            expires_at=f.expires_at(),
        )

    return _submit_picker_form(
        request,
        access,
        form,
        "share_form",
        action,
        _("Le partage a été enregistré."),
        "partages",
    )


@login_required
@require_http_methods(["GET", "POST"])
def share_revoke(request: HttpRequest, professional_id: int) -> HttpResponse:
    access = _access(request)
    share = selectors.live_shares(access).filter(professional_id=professional_id).first()
    if share is None:
        raise Http404
    if request.method == "POST":
        try:
            services.share_revoke(access=access, professional_id=professional_id)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_privacy_url("partages"))
        messages.success(
            request,
            _("Le partage avec %(name)s a été révoqué.")
            % {"name": share.professional.display_name},
        )
        return redirect(_privacy_url("partages"))
    return _confirm(
        request,
        access,
        title=_("Révoquer ce partage ?"),
        professional=share.professional,
        explanation=_(
            "Ce professionnel ne verra plus ce que vous lui aviez partagé, dès maintenant."
        ),
        confirm_label=_("Révoquer le partage"),
        anchor="partages",
    )


@login_required
@require_POST
def block_add(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = BlockForm(request.POST)

    def action(f: ProfessionalPickerForm) -> None:
        assert f.selected is not None  # noqa: S101
        services.block_add(access=access, professional=f.selected)

    return _submit_picker_form(
        request,
        access,
        form,
        "block_form",
        action,
        _("Ce professionnel est bloqué : il n’a plus accès à votre dossier."),
        "blocages",
    )


@login_required
@require_http_methods(["GET", "POST"])
def block_remove(request: HttpRequest, professional_id: int) -> HttpResponse:
    access = _access(request)
    block = selectors.blocks(access).filter(professional_id=professional_id).first()
    if block is None:
        raise Http404
    if request.method == "POST":
        services.block_remove(access=access, professional_id=professional_id)
        messages.success(
            request,
            _("%(name)s n’est plus bloqué.") % {"name": block.professional.display_name},
        )
        return redirect(_privacy_url("blocages"))
    return _confirm(
        request,
        access,
        title=_("Débloquer ce professionnel ?"),
        professional=block.professional,
        explanation=_(
            "S’il vous suit (relation de soins), il retrouvera l’accès à votre dossier. "
            "Les partages révoqués lors du blocage ne sont pas rétablis."
        ),
        confirm_label=_("Débloquer"),
        anchor="blocages",
    )


@login_required
@require_POST
def emergency(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = EmergencyRefusalForm(request.POST)
    if not form.is_valid():  # a checkbox cannot be invalid; kept for safety
        return HttpResponseBadRequest()
    refuses = form.cleaned_data["refuses"]
    services.emergency_refusal_set(access=access, refuses=refuses)
    if refuses:
        messages.success(request, _("L’accès en urgence à votre dossier est désormais refusé."))
    else:
        messages.success(request, _("L’accès en urgence à votre dossier est de nouveau possible."))
    return redirect(_privacy_url("urgence"))


# --- Carers (aidants) ---


@login_required
@require_POST
def carer_invite(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = CarerInviteForm(request.POST)
    if form.is_valid():
        try:
            services.carer_invite(
                access=access,
                email=form.cleaned_data["email"],
                sections=list(form.cleaned_data["sections"]),
                can_write=form.can_write(),
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("L’invitation a été envoyée à %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect(_privacy_url("aidants"))
    return _render_privacy(request, access, carer_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def carer_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request)
    grant = selectors.carer_grants(access).filter(pk=pk).first()
    if grant is None:
        raise Http404
    who = grant.carer.get_full_name() if grant.carer else ""
    who = who or grant.invited_email
    if request.method == "POST":
        services.carer_revoke(access=access, grant_id=grant.pk)
        messages.success(
            request, _("L’accès %(of_name)s a été retiré.") % {"of_name": of_name(who)}
        )
        return redirect(_privacy_url("aidants"))
    return _confirm(
        request,
        access,
        title=_("Retirer l’accès de cet aidant ?"),
        professional=None,
        person=who,
        explanation=_(
            "Cette personne ne verra plus votre dossier, dès maintenant. "
            "Vous pourrez l’inviter de nouveau plus tard."
        ),
        confirm_label=_("Retirer l’accès"),
        anchor="aidants",
    )


def _confirm(
    request: HttpRequest,
    access: RecordAccess,
    *,
    title: str,
    professional: Professional | None,
    person: str = "",
    explanation: str,
    confirm_label: str,
    anchor: str,
) -> HttpResponse:
    return render(
        request,
        "consent/confirm.html",
        {
            "access": access,
            "patient": access.patient,
            "sections": SECTIONS,
            "current": "privacy",
            "title": title,
            "professional": professional,
            "person": person,
            "explanation": explanation,
            "confirm_label": confirm_label,
            "cancel_url": _privacy_url(anchor),
        },
    )


# --- Hidden items ---


@login_required
@require_POST
def entry_visibility(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    section = SECTIONS_BY_SLUG.get(slug)
    if section is None:
        raise Http404
    access = _access(request, what=section.key)
    entry = access.entry_or_404(section.model, pk)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    hidden: bool = form.cleaned_data["hidden"]
    services.entry_visibility_set(access=access, entry=entry, hidden=hidden)
    if hidden:
        messages.success(
            request,
            _(
                "« %(entry)s » est masqué aux professionnels, sauf à son auteur et à votre médecin traitant."
            )
            % {"entry": entry},
        )
    else:
        messages.success(
            request, _("« %(entry)s » n’est plus masqué aux professionnels.") % {"entry": entry}
        )
    url = reverse("records:section_list", args=[section.slug])
    page = form.cleaned_data.get("page")
    if page and page > 1:
        url += f"?page={page}"
    return HttpResponseRedirect(url)


# --- Access history ---


@login_required
@require_http_methods(["GET"])
def history(request: HttpRequest) -> HttpResponse:
    access = _access(request, what="history")
    form = AccessLogFilterForm(request.GET or None, actors=selectors.history_actors(access=access))
    if form.is_bound and not form.is_valid():
        qs = AccessLog.objects.none()
    else:
        qs = selectors.access_history(
            access=access, filters=form.cleaned_data if form.is_bound else {}
        )
    page = Paginator(qs.order_by("-at", "-id"), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.history_rows(access=access, logs=list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "consent/history.html",
        {
            "access": access,
            "patient": access.patient,
            "sections": SECTIONS,
            "current": "history",
            "form": form,
            "page": page,
            "rows": rows,
            "pagination_query": query.urlencode(),
            "filtered": form.is_bound,
        },
    )
