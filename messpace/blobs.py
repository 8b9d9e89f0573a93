"""Encrypted blobs in the storage (local files by default, S3 when configured).

Only ciphertext ever reaches the storage: each blob is AES-256-GCM under the
owning row's data key, with ``<owner>:<part>`` as associated data, so a blob
cannot be swapped between rows or parts without failing to decrypt.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from messpace import vault

log = logging.getLogger(__name__)


def blob_put(*, data_key: bytes, plaintext: bytes, aad: str) -> str:
    """Encrypt and store; returns the storage name."""
    now = timezone.now()
    name = f"documents/{now:%Y/%m}/{uuid.uuid4().hex}.bin"
    return default_storage.save(name, ContentFile(vault.encrypt(data_key, plaintext, aad=aad)))


def blob_get(*, name: str, data_key: bytes, aad: str) -> bytes:
    """Read and decrypt; raises ``vault.VaultError`` if the blob was altered."""
    with default_storage.open(name, "rb") as fh:
        ciphertext = fh.read()
    return vault.decrypt(data_key, ciphertext, aad=aad)


def blob_delete(name: str) -> None:
    if name:
        default_storage.delete(name)


def blobs_delete_after_erasure(names: Iterable[str], *, owner: str) -> None:
    """Delete blobs whose rows (and so data keys) are already gone, typically after
    the commit that removed them. A failure is logged, not raised: the file left
    behind can no longer be decrypted, and the other files still go."""
    for name in names:
        try:
            blob_delete(name)
        except Exception:  # the storage's own errors (S3) as much as OSError
            log.warning("%s: blob %s not deleted", owner, name)
