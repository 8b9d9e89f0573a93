"""Pure (no database) parts of document ingestion: functions on bytes.

The pipeline calls, in order::

    sniffed = sniff(data, declared_mime=upload.content_type)   # what the bytes are
    check_limits(data, sniffed, limits)                         # how big they are
    parsed = parse(data, sniffed, limits)                       # what they say

Each step either returns or raises :class:`Refused`, a permanent refusal with a
stable ``code`` and a French ``message``. Viewing uses :func:`cda_to_html` and
:func:`fhir_to_html`, which return escaped HTML built from a whitelist.

Nothing here touches the database, the network or the disk, so every function
is safe to call from a worker, a view or a test.
"""

from documents.ingestion.errors import RefusalCode, Refused
from documents.ingestion.limits import Limits, check_limits
from documents.ingestion.parse import Parsed, parse
from documents.ingestion.render import cda_to_html, fhir_to_html
from documents.ingestion.sniff import Kind, Sniffed, sniff
from documents.ingestion.types import DocumentType, document_type_for_code

__all__ = [
    "DocumentType",
    "Kind",
    "Limits",
    "Parsed",
    "RefusalCode",
    "Refused",
    "Sniffed",
    "cda_to_html",
    "check_limits",
    "document_type_for_code",
    "fhir_to_html",
    "parse",
    "sniff",
]
