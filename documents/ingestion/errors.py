"""The one exception of the ingestion pipeline: a permanent refusal.

A :class:`Refused` means the bytes themselves are unacceptable (wrong type, too
big, unsafe, invalid). Running the pipeline again on the same bytes gives the
same refusal, so callers must not retry it: they record ``code`` (stable, for
programs and statistics) and show ``message`` (French, precise, written for the
depositor and the administrators).

Transient failures (storage down, worker killed) are never a ``Refused``.
"""

from __future__ import annotations

from typing import Literal

RefusalCode = Literal[
    "empty",
    "type_unknown",
    "type_mismatch",
    "archive",
    "too_large",
    "too_many_pages",
    "image_too_large",
    "nesting_too_deep",
    "pdf_javascript",
    "pdf_encrypted",
    "pdf_unreadable",
    "xml_unsafe",
    "xml_invalid",
    "cda_invalid",
    "fhir_invalid",
    "dicom_invalid",
    "image_invalid",
]


class Refused(Exception):
    """The document is refused, permanently.

    ``code`` is one of :data:`RefusalCode`; ``message`` is a complete French
    sentence that names the problem and, where there is one, the remedy.
    """

    code: RefusalCode
    message: str

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[Refused], tuple[RefusalCode, str]]:
        # Celery and multiprocessing pickle exceptions with their init args.
        return (Refused, (self.code, self.message))
