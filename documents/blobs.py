"""Encrypted blobs in the storage (local files by default, S3 when configured).

Only ciphertext ever reaches the storage: each blob is AES-256-GCM under the
owning row's data key, with ``<owner>:<part>`` as associated data, so a blob
cannot be swapped between rows or parts without failing to decrypt.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from messpace import vault


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
