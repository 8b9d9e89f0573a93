"""Typed environment readers that fail loudly on bad values.

Every reader accepts a ``NAME_FILE`` variant: when ``NAME_FILE`` is set, the
value is read from that file (Docker/Kubernetes secrets), stripped of its
trailing newline.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# The vault imports no app and reads no setting at import: safe before settings load.
from messpace import vault

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_optional(name: str) -> str | None:
    value = _raw(name)
    return value or None


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    # Empty counts as unset (as in env_int): ``SECURE_SSL_REDIRECT=`` left blank in
    # a compose file must not silently switch a security default off.
    if value is None or not value.strip():
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true/false).")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    maximum_reason: str | None = None,
) -> int:
    """An integer, ``default`` when unset or empty, refused outside ``minimum``..``maximum``.

    ``maximum_reason`` completes the refusal above ``maximum`` ("…must be at most
    80: <reason>."), for a bound that comes from a rule rather than from sense.
    """
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    if maximum is not None and number > maximum:
        reason = f": {maximum_reason}." if maximum_reason else "."
        raise ImproperlyConfigured(f"{name}={number} must be at most {maximum}{reason}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}.")
    return value


def env_base64_key(name: str, *, min_bytes: int = 32) -> bytes | None:
    """The raw bytes of a base64 secret key, ``None`` when unset or empty.

    Refuses what is not strict base64 and a key shorter than ``min_bytes``;
    the messages name the variable, never its value.
    """
    value = env_optional(name)
    if value is None:
        return None
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError as exc:  # binascii.Error, or a non-ASCII str
        raise ImproperlyConfigured(f"{name} must be base64.") from exc
    if len(key) < min_bytes:
        raise ImproperlyConfigured(f"{name} must hold at least {min_bytes} bytes.")
    return key


def env_master_keys(name: str) -> dict[str, bytes] | None:
    """Master keys ``"kid1:base64key,kid2:base64key"`` as ``{key id: 32 bytes}``, or ``None``.

    ``None`` when unset or empty; otherwise parsed and checked by
    :func:`messpace.vault.parse_master_keys`, whose errors (``ImproperlyConfigured``)
    name the variable and the faulty entry, never the key material.
    """
    value = env_optional(name)
    if value is None:
        return None
    return vault.parse_master_keys(value, variable=name)
