"""Malware scanning of uploaded documents through ClamAV's daemon (clamd).

The bytes are streamed to clamd with its ``INSTREAM`` command, over a unix
socket (``MESSPACE_CLAMAV_SOCKET``) or TCP (``MESSPACE_CLAMAV_HOST`` and
``MESSPACE_CLAMAV_PORT``). Two outcomes other than "clean" are told apart
because callers must treat them in opposite ways:

- :class:`ScanInfected`: clamd recognised a signature. Permanent: the document
  is refused and scanning it again will not change the verdict.
- :class:`ScannerUnavailable`: no verdict could be had (clamd down, timeout,
  protocol error, no scanner configured). Transient: the ingestion task retries
  later, and the document is never accepted in the meantime.

Without a configured scanner, documents pass unscanned only when
``MESSPACE_ALLOW_NO_SCANNER`` is true (its default: true with ``DEBUG`` or in embedded mode); the
system check ``documents.E001`` (``documents/checks.py``) refuses to start a
production configuration that would reach that branch.
"""

from __future__ import annotations

import io
import logging

from clamav_client.clamd import (
    BufferTooLongError,
    ClamdError,
    ClamdNetworkSocket,
    ClamdUnixSocket,
)
from django.conf import settings

logger = logging.getLogger(__name__)


class ScanInfected(Exception):
    """clamd found malware: refuse the document for good.

    ``signature`` is clamd's name for what it found (``Win.Test.EICAR_HDB-1``),
    safe to log and to show to the uploader: it says nothing about the content.
    """

    def __init__(self, signature: str) -> None:
        super().__init__(f"Malware detected: {signature}")
        self.signature = signature


class ScannerUnavailable(Exception):
    """No verdict could be had: retry later, and accept nothing meanwhile."""


def scanner_configured() -> bool:
    """True when settings name a clamd to talk to (unix socket, or host and port).

    Says nothing about whether that clamd is running: the settings are read,
    no connection is made.
    """
    return bool(settings.MESSPACE_CLAMAV_SOCKET or settings.MESSPACE_CLAMAV_HOST)


def _client() -> ClamdNetworkSocket | None:
    timeout: int = settings.MESSPACE_CLAMAV_TIMEOUT
    socket_path: str | None = settings.MESSPACE_CLAMAV_SOCKET
    host: str | None = settings.MESSPACE_CLAMAV_HOST
    if socket_path:
        return ClamdUnixSocket(socket_path, timeout=timeout)
    if host:
        return ClamdNetworkSocket(host, settings.MESSPACE_CLAMAV_PORT, timeout=timeout)
    return None


def scan_bytes(data: bytes) -> None:
    """Scan ``data`` with clamd; return ``None`` when it is clean.

    Raises :class:`ScanInfected` (with the signature name) when clamd reports
    malware, and :class:`ScannerUnavailable` when clamd cannot be reached,
    times out (``MESSPACE_CLAMAV_TIMEOUT`` seconds per socket operation),
    answers with an error, or when no scanner is configured and
    ``MESSPACE_ALLOW_NO_SCANNER`` is false. With no scanner configured and the
    flag true, returns without scanning.

    The bytes travel over the socket only; note that clamd itself spools a
    stream to its ``TemporaryDirectory`` while scanning it.
    """
    client = _client()
    if client is None:
        if settings.MESSPACE_ALLOW_NO_SCANNER:
            logger.debug("No malware scanner configured: document accepted unscanned.")
            return
        raise ScannerUnavailable(
            "No malware scanner configured (MESSPACE_CLAMAV_SOCKET or MESSPACE_CLAMAV_HOST)."
        )

    try:
        results = client.instream(io.BytesIO(data))
    except BufferTooLongError as exc:
        # Uploads are capped below clamd's StreamMaxLength by design; hitting it
        # means clamd is configured too tight, which an operator fixes, after
        # which the retry succeeds. So transient, not a verdict on the file.
        raise ScannerUnavailable(
            f"Document of {len(data)} bytes exceeds clamd's StreamMaxLength."
        ) from exc
    except (ClamdError, OSError) as exc:
        # OSError: the client lets timeouts and broken pipes during the upload
        # of the stream escape unwrapped (clamd closes the socket on overflow).
        raise ScannerUnavailable(f"clamd gave no verdict: {exc}") from exc

    # INSTREAM answers one line, parsed as {"stream": (status, signature or reason)}.
    status, detail = next(iter(results.values()), (None, None))
    if status == "FOUND":
        signature = detail or "unknown"
        logger.warning("Malware detected in an uploaded document: %s", signature)
        raise ScanInfected(signature)
    if status != "OK":
        raise ScannerUnavailable(f"clamd could not scan the document: {status} {detail}")
