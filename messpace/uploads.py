"""Uploads stay in memory and within the size limit: a health document never
touches the disk in clear, and a 200 MB upload is cut off at the limit."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

View = Callable[..., HttpResponse]

TOO_LARGE_ATTR = "messpace_upload_too_large"


class BoundedMemoryUploadHandler(MemoryFileUploadHandler):
    """Django's in-memory handler for every size, refusing past
    ``max_bytes()`` (``MESSPACE_DOCUMENT_MAX_BYTES`` here): the request is then marked and the file dropped.

    Django's default would spool uploads above 2.5 MB to a temporary file,
    i.e. plaintext on disk.
    """

    def max_bytes(self) -> int:
        """The size limit; uploads of other kinds (CSV files) override it."""
        return int(settings.MESSPACE_DOCUMENT_MAX_BYTES)

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        # Always in memory (the parent only activates below FILE_UPLOAD_MAX_MEMORY_SIZE).
        self.activated = True
        # A body far beyond the limit is refused at its first chunk, unread.
        self.refuse_all = content_length > self.max_bytes() + 1024 * 1024

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.refuse_all or start + len(raw_data) > self.max_bytes():
            setattr(self.request, TOO_LARGE_ATTR, True)
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


class BoundedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Spooled to a temporary file (public data only: the directory's extract),
    cut off past ``MESSPACE_DIRECTORY_MAX_BYTES``, the request then marked."""

    def max_bytes(self) -> int:
        return int(settings.MESSPACE_DIRECTORY_MAX_BYTES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.max_bytes():
            setattr(self.request, TOO_LARGE_ATTR, True)
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def uploads_through(
    handlers: Callable[[HttpRequest], list[FileUploadHandler]],
) -> Callable[[View], View]:
    """A view whose request body is read by ``handlers`` (in memory, bounded, or
    spooled for public data), set before anything reads it; the CSRF check still
    runs, after them (the pattern of Django's "Modifying upload handlers on the fly")."""

    def decorate(view: View) -> View:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.upload_handlers = handlers(request)
            return protected(request, *args, **kwargs)

        return wrapped

    return decorate


def upload_too_large(request: HttpRequest) -> bool:
    """Whether a bounded handler cut this request's upload off at its limit (the
    body is parsed first: the handlers set the mark as they read it)."""
    request.FILES  # noqa: B018
    return bool(getattr(request, TOO_LARGE_ATTR, False))
