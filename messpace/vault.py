"""Encryption at rest: AES-256-GCM under per-object data keys wrapped by master keys.

Every sealed object (an upload, a document…) has its own random 32-byte data
key. Its contents are encrypted with :func:`encrypt` under that key, with
associated data naming the object and the part (``"document:<uuid>:text"``),
so a ciphertext moved to another object or part no longer decrypts. The row
stores only the data key *wrapped* (itself AES-256-GCM encrypted) by a master
key, and the id of that master key.

Master keys live in the settings, never in the database:
``MESSPACE_MASTER_KEYS`` maps key ids to 32 raw bytes and
``MESSPACE_MASTER_KEY_ID`` names the one new data keys are wrapped under.
Several master keys coexist, so rotating means adding a key, making it
current, and re-wrapping the stored data keys (:func:`rewrap`, the
``rotate_master_key`` command); the blobs themselves are never rewritten.

Formats (stable: they are what rows and storage hold)::

    ciphertext = nonce(12) || AESGCM(data_key).encrypt(nonce, plaintext, aad)
    wrapped    = nonce(12) || AESGCM(master).encrypt(nonce, data_key, b"dk:<key id>:<owner>")
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

if TYPE_CHECKING:
    # Only for annotations: the settings import this module, before apps load.
    from django.db import models

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
# Key ids are stored in ``key_id`` columns (max_length=32) and sit between
# colons in the wrapping AAD and in the MESSPACE_MASTER_KEYS format, so a
# colon (or a comma, or blank) in an id would make either ambiguous.
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
DEV_KEY_ID = "dev"


class VaultError(Exception):
    """A vault operation failed: unknown key id, altered data, unusable key or configuration.

    Messages name key ids and lengths, never key material or plaintext.
    """


class VaultConfigError(VaultError, ImproperlyConfigured):
    """The master keys in the settings are missing or malformed.

    Both a ``VaultError`` (callers handling vault failures catch it) and an
    ``ImproperlyConfigured`` (it is an operator's mistake, as Django reports them).
    """


@dataclass(frozen=True)
class DataKey:
    """A fresh data key: use ``key`` to encrypt, store ``wrapped`` and ``key_id`` on the row."""

    key: bytes
    wrapped: bytes
    key_id: str

    def __repr__(self) -> str:
        # The clear key must not end up in logs or tracebacks through a repr.
        return f"DataKey(key=<{len(self.key)} bytes>, key_id={self.key_id!r})"


# --- Master keys -------------------------------------------------------------------------------


def parse_master_keys(value: str, *, variable: str = "MESSPACE_MASTER_KEYS") -> dict[str, bytes]:
    """Parse ``"kid1:base64key,kid2:base64key"`` into ``{key id: 32 raw bytes}``, in order.

    Entries may also be separated by blanks or newlines (handy in a secrets
    file). Raises ``ImproperlyConfigured`` naming ``variable`` and the faulty
    entry's key id or position, never the key material.
    """
    keys: dict[str, bytes] = {}
    entries = [entry for entry in re.split(r"[,\s]+", value) if entry]
    if not entries:
        raise VaultConfigError(f"{variable} is empty: give at least one key_id:base64key entry.")
    for position, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not encoded:
            raise VaultConfigError(
                f"{variable}: entry {position} is not of the form key_id:base64key."
            )
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise VaultConfigError(
                f"{variable}: entry {position} has an invalid key id (1 to 32 characters among "
                "letters, digits, '_', '.', '-', starting with a letter or digit)."
            )
        if key_id in keys:
            raise VaultConfigError(f"{variable}: key id {key_id!r} appears twice.")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VaultConfigError(f"{variable}: key {key_id!r} is not valid base64.") from exc
        if len(raw) != KEY_BYTES:
            raise VaultConfigError(
                f"{variable}: key {key_id!r} decodes to {len(raw)} bytes, not {KEY_BYTES} "
                '(generate one with: python -c "import base64, os; '
                'print(base64.b64encode(os.urandom(32)).decode())")'
            )
        keys[key_id] = raw
    return keys


def dev_master_key(secret_key: str) -> bytes:
    """A stable 32-byte master key derived from ``SECRET_KEY``, for DEBUG/embedded mode only.

    It is exactly as secret as ``SECRET_KEY`` (the published default one in
    embedded mode) and changes with it: documents sealed under it become
    unreadable if ``SECRET_KEY`` changes. Production configures real keys.
    """
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=b"messpace-vault",
        info=b"messpace master key dev",
    )
    return hkdf.derive(secret_key.encode("utf-8"))


def _master_keys() -> dict[str, bytes]:
    """The configured master keys, validated on every call.

    Validation is lazy (and cheap) so that settings changed at run time, as
    tests do, are checked as strictly as the ones read at start-up.
    """
    keys = getattr(settings, "MESSPACE_MASTER_KEYS", None)
    if not isinstance(keys, Mapping) or not keys:
        raise VaultConfigError("MESSPACE_MASTER_KEYS is not configured (no master key).")
    for key_id, raw in keys.items():
        if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
            raise VaultConfigError(f"MESSPACE_MASTER_KEYS: invalid key id {key_id!r}.")
        if not isinstance(raw, bytes) or len(raw) != KEY_BYTES:
            raise VaultConfigError(
                f"MESSPACE_MASTER_KEYS: key {key_id!r} must be {KEY_BYTES} raw bytes."
            )
    return dict(keys)


def _master_key(key_id: str) -> bytes:
    keys = _master_keys()
    try:
        return keys[key_id]
    except KeyError:
        raise VaultError(
            f"Unknown master key id {key_id!r} (configured: {', '.join(keys)})."
        ) from None


def current_key_id() -> str:
    """The id of the master key new data keys are wrapped under (``MESSPACE_MASTER_KEY_ID``).

    Raises ``VaultConfigError`` if it is unset or not among ``MESSPACE_MASTER_KEYS``.
    """
    keys = _master_keys()
    key_id = getattr(settings, "MESSPACE_MASTER_KEY_ID", None)
    if not isinstance(key_id, str) or key_id not in keys:
        raise VaultConfigError(
            f"MESSPACE_MASTER_KEY_ID={key_id!r} is not one of the configured master keys "
            f"({', '.join(keys)})."
        )
    return key_id


def master_key_ids() -> list[str]:
    """The configured master key ids, in configuration order."""
    return list(_master_keys())


# --- Data keys ---------------------------------------------------------------------------------


def _wrap_aad(key_id: str, owner: str) -> bytes:
    # Binding the key id and the owner means a wrapped key copied to another
    # row, or relabelled with another key id, fails to unwrap.
    return f"dk:{key_id}:{owner}".encode()


def _check_owner(owner: str) -> None:
    if not isinstance(owner, str) or not owner:
        raise VaultError("A data key's owner must be a non-empty string.")


def new_data_key(*, owner: str) -> DataKey:
    """A random data key for the object ``owner`` (e.g. ``"document:<uuid>"``).

    It is wrapped under the current master key. ``owner`` must be known before
    the row is saved and never change, so it is built from a value the row is
    created with (a client-side UUID), not an auto-increment id.
    """
    _check_owner(owner)
    key_id = current_key_id()
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    return DataKey(key=key, wrapped=wrap_key(key, key_id=key_id, owner=owner), key_id=key_id)


def wrap_key(data_key: bytes, *, key_id: str, owner: str) -> bytes:
    """``data_key`` wrapped under master key ``key_id`` for ``owner``, as rows store it.

    :func:`new_data_key` and :func:`rewrap` are the usual ways in; this is for a
    data key that already exists (an import of keys, a test's rows). Raises
    ``VaultError`` if ``key_id`` is not configured or ``owner`` is empty.
    """
    _check_owner(owner)
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(_master_key(key_id)).encrypt(nonce, data_key, _wrap_aad(key_id, owner))


def unwrap(*, wrapped: bytes, key_id: str, owner: str) -> bytes:
    """The clear data key of ``owner``, wrapped under master key ``key_id``.

    Raises ``VaultError`` if ``key_id`` is not configured, or if ``wrapped``,
    ``key_id`` or ``owner`` differ from what was used to wrap it.
    """
    _check_owner(owner)
    master = _master_key(key_id)
    wrapped = bytes(wrapped)  # BinaryField values come back as memoryview
    if len(wrapped) != WRAPPED_BYTES:
        raise VaultError(f"A wrapped data key is {WRAPPED_BYTES} bytes, not {len(wrapped)}.")
    try:
        return AESGCM(master).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(key_id, owner)
        )
    except InvalidTag:
        raise VaultError(
            f"The data key of {owner!r} does not unwrap under master key {key_id!r} "
            "(altered, moved from another row, or wrong key id)."
        ) from None


def rewrap(
    *, wrapped: bytes, key_id: str, owner: str, to_key_id: str | None = None
) -> tuple[bytes, str]:
    """Re-wrap ``owner``'s data key under ``to_key_id`` (default: the current master key).

    Returns ``(new wrapped, new key id)`` to store on the row. The data key
    itself is unchanged, so blobs stay readable. Raises ``VaultError`` like
    :func:`unwrap`, or if ``to_key_id`` is not configured. A key already under
    the target is still checked and returned as it is.
    """
    target = current_key_id() if to_key_id is None else to_key_id
    _master_key(target)  # fail on an unknown target before doing anything
    data_key = unwrap(wrapped=wrapped, key_id=key_id, owner=owner)
    if key_id == target:
        return bytes(wrapped), key_id
    return wrap_key(data_key, key_id=target, owner=owner), target


# --- Contents ----------------------------------------------------------------------------------


def _aead(data_key: bytes) -> AESGCM:
    if not isinstance(data_key, bytes) or len(data_key) != KEY_BYTES:
        raise VaultError(f"A data key is {KEY_BYTES} bytes.")
    return AESGCM(data_key)


def encrypt(data_key: bytes, plaintext: bytes, *, aad: str) -> bytes:
    """``nonce || ciphertext`` of ``plaintext`` under ``data_key``, bound to ``aad``.

    ``aad`` names the object and the part (``"document:<uuid>:original"``) and
    must be given again, identical, to decrypt. The nonce is random: with one
    data key per object, the number of encryptions per key stays far below
    AES-GCM's random-nonce limit. Whole contents are encrypted in memory
    (cryptography caps one message at 2**31 - 1 bytes).
    """
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _aead(data_key).encrypt(nonce, plaintext, aad.encode("utf-8"))


def decrypt(data_key: bytes, ciphertext: bytes, *, aad: str) -> bytes:
    """The plaintext of an :func:`encrypt` output.

    Raises ``VaultError`` if the ciphertext was altered or truncated, or if
    ``data_key`` or ``aad`` differ from those used to encrypt it.
    """
    ciphertext = bytes(ciphertext)
    if len(ciphertext) < NONCE_BYTES + TAG_BYTES:
        raise VaultError("Ciphertext too short to be a vault ciphertext.")
    try:
        return _aead(data_key).decrypt(
            ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:], aad.encode("utf-8")
        )
    except InvalidTag:
        raise VaultError(
            f"Ciphertext for {aad!r} does not authenticate (altered, moved, or wrong key)."
        ) from None


# --- Registry of models holding wrapped keys ---------------------------------------------------


@dataclass(frozen=True)
class SealedModel:
    """A model whose rows hold a wrapped data key, as :func:`register_sealed` recorded it."""

    model: type[models.Model]
    wrapped_field: str
    key_id_field: str
    owner: Callable[[Any], str]
    owner_fields: tuple[str, ...] | None

    @property
    def label(self) -> str:
        return self.model._meta.label


_SEALED: dict[str, SealedModel] = {}


def register_sealed(
    model: type[models.Model],
    *,
    wrapped_field: str = "wrapped_key",
    key_id_field: str = "key_id",
    owner: Callable[[Any], str],
    owner_fields: Sequence[str] | None = None,
) -> None:
    """Declare that ``model`` rows hold a wrapped data key, so master key rotation covers them.

    ``owner`` receives a model instance and returns the owner string its key
    was wrapped with (e.g. ``lambda d: d.owner``). ``owner_fields`` lists the
    fields ``owner`` reads, so rotation loads only those (plus the pk and the
    two key fields); leave it ``None`` to load whole rows. Call it from the
    app's ``AppConfig.ready()``; registering a model again replaces its entry.
    Raises ``ImproperlyConfigured`` if a named field does not exist.
    """
    fields = (wrapped_field, key_id_field, *(owner_fields or ()))
    for name in fields:
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(
                f"register_sealed({model._meta.label}): no field {name!r}."
            ) from exc
    entry = SealedModel(
        model=model,
        wrapped_field=wrapped_field,
        key_id_field=key_id_field,
        owner=owner,
        owner_fields=None if owner_fields is None else tuple(owner_fields),
    )
    _SEALED[entry.label] = entry


def sealed_models() -> list[SealedModel]:
    """Every registered sealed model, ordered by label (a stable order for rotation runs)."""
    return [_SEALED[label] for label in sorted(_SEALED)]


def sealed_registry() -> dict[str, SealedModel]:
    """The registry itself, ``{model label: entry}``, that :func:`register_sealed` fills.

    Returned live, not copied, so that a test can stand a model of its own
    alone in it for a while (``monkeypatch.delitem``/``setitem`` put the
    registry back afterwards). Application code registers through
    :func:`register_sealed` and reads through :func:`sealed_models`.
    """
    return _SEALED
