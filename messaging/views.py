"""The messaging pages: the patient side (``/espace/messages/``: the record's
threads, a thread and its reply) and the professional side (``/pro/messages/``:
the inbox across patients, a thread; starting one from a patient's record).

There is no page for a patient to start a thread: only professionals start
them. Every read by someone other than the patient is logged with its basis.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consent.access import patient_access, professional_access, professional_required
from consent.models import AccessAction
from consent.policy import RecordAccess, professional_listing_log
from messaging import selectors, services
from messaging.forms import ReplyForm, ThreadStartForm, ThreadStartForMinorForm
from messaging.models import Thread, ThreadState
from messpace.accounts.models import User
from messpace.forms import apply_errors
from messpace.throttle import throttle_hit
from records.sections import SECTIONS

THREADS_PER_PAGE = 25


def _record_context(access: RecordAccess) -> dict[str, object]:
    """What the record's header and side menu need."""
    return {
        "access": access,
        "patient": access.patient,
        "sections": [s for s in SECTIONS if access.sees_section(s.key)],
    }


def _throttled(user: User, scope: str, limit: int) -> bool:
    return throttle_hit(scope=scope, key=str(user.pk), limit=limit, window_seconds=3600)


def _thread_page(
    request: HttpRequest,
    access: RecordAccess,
    thread: Thread,
    form: ReplyForm,
    *,
    template: str,
    status: int = 200,
) -> HttpResponse:
    access.log(action=AccessAction.READ, what="thread", object_id=thread.pk)
    services.thread_read_mark(thread=thread, user_id=access.actor.pk)
    may_reply = thread.state == ThreadState.OPEN and (
        access.role == "professional" or selectors.patient_may_reply(thread)
    )
    return render(
        request,
        template,
        {
            **_record_context(access),
            "may_reply": may_reply,
            "thread": thread,
            "subject": selectors.subject(thread),
            "thread_messages": selectors.thread_messages(thread),
            "form": form,
        },
        status=status,
    )


def _reply(
    request: HttpRequest, access: RecordAccess, thread: Thread, *, template: str
) -> HttpResponse:
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(access.actor, "message-post", settings.MESSPACE_MESSAGES_PER_HOUR):
            form.add_error(None, _("Trop de messages en peu de temps : réessayez dans une heure."))
        else:
            try:
                services.message_post(access=access, thread=thread, body=form.cleaned_data["body"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                flash.success(request, _("Message envoyé."))
                return redirect(request.path)
        return _thread_page(request, access, thread, form, template=template, status=400)
    return _thread_page(request, access, thread, form, template=template)


# --- Patient side ---


@login_required
def patient_inbox(request: HttpRequest) -> HttpResponse:
    access = patient_access(request)
    access.log(action=AccessAction.READ, what="threads")
    archived = request.GET.get("archives") == "1"
    threads = selectors.patient_threads(access=access, archived=archived)
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/inbox.html",
        {
            **_record_context(access),
            "archived": archived,
            "pagination_query": "archives=1" if archived else "",
            "page": page,
            "rows": selectors.subjects(list(page)),
        },
    )


@login_required
def patient_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    access = patient_access(request)
    thread = selectors.patient_thread(access=access, thread_id=thread_id)
    return _reply(request, access, thread, template="messaging/thread.html")


# --- Professional side ---


@professional_required
def professional_inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(selectors.professional_threads(user), THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # The subjects are health data: each patient listed is in their access history.
    # A patient whose listed threads are all kept from the guardians gets a row
    # naming one of them, which the guardians' history leaves out with the thread.
    ordinary: dict[int, int | None] = {}
    kept: dict[int, int | None] = {}
    for thread in page:
        if not thread.confidential_from_guardians:
            ordinary[thread.patient_id] = None
    for thread in page:
        if thread.patient_id not in ordinary:
            kept.setdefault(thread.patient_id, thread.pk)
    professional_listing_log(user, ordinary, what="threads")
    professional_listing_log(user, kept, what="thread")
    return render(
        request, "messaging/pro_inbox.html", {"page": page, "rows": selectors.subjects(list(page))}
    )


@professional_required
def professional_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    thread = selectors.professional_thread(user, thread_id)
    access = professional_access(request, thread.patient_id)
    if not selectors.professional_may_write(access):
        raise Http404
    return _reply(request, access, thread, template="messaging/pro_thread.html")


@professional_required
def thread_start(request: HttpRequest, patient_id: int) -> HttpResponse:
    access = professional_access(request, patient_id)
    if not selectors.professional_may_write(access):
        raise Http404  # blocked: emergency access opens the record, not a conversation
    # Kept from the guardians only for a minor who reads with their own login.
    patient = access.patient
    form_class = (
        ThreadStartForMinorForm if patient.is_minor and patient.user_id else ThreadStartForm
    )
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(access.actor, "thread-start", settings.MESSPACE_THREADS_PER_HOUR):
            form.add_error(
                None,
                _("Trop de conversations ouvertes en peu de temps : réessayez dans une heure."),
            )
        else:
            try:
                thread = services.thread_start(
                    access=access,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    confidential_from_guardians=form.cleaned_data.get(
                        "confidential_from_guardians", False
                    ),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                flash.success(request, _("Message envoyé au patient."))
                return redirect("pro_messaging:thread", thread_id=thread.pk)
    return render(
        request,
        "messaging/start.html",
        {**_record_context(access), "form": form},
        status=400 if form.errors else 200,
    )


@professional_required
@require_POST
def professional_thread_state(request: HttpRequest, thread_id: int, state: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    thread = selectors.professional_thread(user, thread_id)
    access = professional_access(request, thread.patient_id)
    if not selectors.professional_may_write(access) or state not in ThreadState.values:
        raise Http404
    if services.thread_state_set(access=access, thread=thread, state=state):
        flash.success(
            request,
            _("Conversation close : le patient ne peut plus y répondre.")
            if state == ThreadState.CLOSED
            else _("Conversation rouverte."),
        )
    return redirect("pro_messaging:thread", thread_id=thread.pk)


@login_required
@require_POST
def patient_thread_archive(request: HttpRequest, thread_id: int) -> HttpResponse:
    access = patient_access(request)
    thread = selectors.patient_thread(access=access, thread_id=thread_id)
    archived = request.POST.get("archived") == "1"
    services.thread_archive(access=access, thread=thread, archived=archived)
    flash.success(
        request,
        _("Conversation archivée : un nouveau message la fera revenir.")
        if archived
        else _("Conversation remise dans la messagerie."),
    )
    return redirect("messaging:inbox")
