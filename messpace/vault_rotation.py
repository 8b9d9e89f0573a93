"""Master key rotation: re-wrap stored data keys under another master key.

Only the wrapped data keys in the rows change; blobs are never read or
rewritten, since the data keys themselves stay the same. Work goes model by
model, in batches ordered by primary key, one transaction per batch, and
every row is written with a conditional UPDATE on the values it was read
with. So a run can be stopped at any point and simply run again: it picks up
the rows still under another key, and a row changed meanwhile (by a re-upload,
another rotation) is left alone rather than overwritten with stale values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction
from django.db.models import Count

from messpace import vault

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

DEFAULT_BATCH_SIZE = 500


class Writer(Protocol):
    """Where progress goes: a text stream or a management command's ``self.stdout``."""

    def write(self, msg: str, /) -> Any: ...


def _target(to_key_id: str | None) -> str:
    target = vault.current_key_id() if to_key_id is None else to_key_id
    if target not in vault.master_key_ids():
        raise vault.VaultError(
            f"Cannot rotate to {target!r}: not a configured master key "
            f"({', '.join(vault.master_key_ids())})."
        )
    return target


def _pending(entry: vault.SealedModel, target: str) -> QuerySet[Model]:
    """Rows of ``entry`` whose data key is under another master key than ``target``.

    The base manager sees every row (a default manager may hide, say, deleted
    documents, whose keys must be rotated all the same). Rows without a key
    id hold no wrapped key and are not the rotation's business.
    """
    field = entry.key_id_field
    return (
        entry.model._base_manager.exclude(**{field: target})
        .exclude(**{f"{field}__isnull": True})
        .exclude(**{field: ""})
    )


def pending_counts(
    *, to_key_id: str | None = None, models: Sequence[vault.SealedModel] | None = None
) -> dict[str, dict[str, int]]:
    """``{model label: {source key id: rows}}`` still to re-wrap to ``to_key_id``.

    ``to_key_id`` defaults to the current master key, ``models`` to every
    registered sealed model. Models with nothing to do map to ``{}``.
    """
    target = _target(to_key_id)
    counts: dict[str, dict[str, int]] = {}
    for entry in vault.sealed_models() if models is None else models:
        rows = (
            _pending(entry, target)
            .order_by()
            .values_list(entry.key_id_field)
            .annotate(n=Count("pk"))
        )
        counts[entry.label] = {key_id: n for key_id, n in rows}
    return counts


def _rotate_model(
    entry: vault.SealedModel, *, target: str, batch_size: int, max_batches: int | None = None
) -> tuple[int, int, int]:
    """Re-wrap one model's pending rows; returns ``(rewrapped, skipped, batches)``.

    Stops after ``max_batches`` committed batches when it is given. Raises
    ``VaultError`` naming the row on a key that does not unwrap; the batches
    committed before it stay done.
    """
    manager = entry.model._base_manager
    pk_name = entry.model._meta.pk.name
    load = (
        None
        if entry.owner_fields is None
        else {pk_name, entry.wrapped_field, entry.key_id_field, *entry.owner_fields}
    )
    rewrapped = skipped = batches = 0
    last_pk: Any = None
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            rows_qs = _pending(entry, target).order_by("pk")
            if last_pk is not None:
                # Keyset pagination: rows skipped below never come back in this run.
                rows_qs = rows_qs.filter(pk__gt=last_pk)
            if load is not None:
                rows_qs = rows_qs.only(*load)
            rows = list(rows_qs[:batch_size])
            if not rows:
                break
            done = 0
            for row in rows:
                old_wrapped = bytes(getattr(row, entry.wrapped_field))
                old_key_id = getattr(row, entry.key_id_field)
                try:
                    new_wrapped, new_key_id = vault.rewrap(
                        wrapped=old_wrapped,
                        key_id=old_key_id,
                        owner=entry.owner(row),
                        to_key_id=target,
                    )
                except vault.VaultError as exc:
                    raise vault.VaultError(f"{entry.label} pk={row.pk}: {exc}") from exc
                # Conditional on both values read: a row re-keyed or rotated
                # since is not overwritten with a rewrap of its old key.
                done += manager.filter(
                    pk=row.pk,
                    **{entry.key_id_field: old_key_id, entry.wrapped_field: old_wrapped},
                ).update(**{entry.wrapped_field: new_wrapped, entry.key_id_field: new_key_id})
            last_pk = rows[-1].pk
        batches += 1
        rewrapped += done
        skipped += len(rows) - done
    return rewrapped, skipped, batches


def rotate(
    *,
    to_key_id: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    models: Sequence[vault.SealedModel] | None = None,
    stdout: Writer | None = None,
    max_batches: int | None = None,
) -> dict[str, int]:
    """Re-wrap every stored data key not under ``to_key_id`` so that it is; returns rows per model.

    ``to_key_id`` defaults to the current master key, ``models`` to every
    registered sealed model. Each batch of ``batch_size`` rows commits on its
    own, so an interrupted run keeps its progress and a rerun does only what
    is left. Rows changed concurrently are skipped (and reported), not
    overwritten; a rerun takes them if they are still under an old key.
    With ``max_batches``, the run stops after that many batches in all (the
    models not reached yet are left out of the result), as a process stopped at
    that point would; a rerun does the rest.
    Raises ``VaultError`` on an unknown target or a row whose key does not
    unwrap (an unconfigured key id, altered data), naming it.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    if max_batches is not None and max_batches < 1:
        raise ValueError("max_batches must be at least 1.")
    target = _target(to_key_id)
    result: dict[str, int] = {}
    total_skipped = 0
    batches_left = max_batches
    for entry in vault.sealed_models() if models is None else models:
        if batches_left == 0:
            break
        rewrapped, skipped, batches = _rotate_model(
            entry, target=target, batch_size=batch_size, max_batches=batches_left
        )
        if batches_left is not None:
            batches_left -= batches
        result[entry.label] = rewrapped
        total_skipped += skipped
        if stdout is not None:
            line = f"{entry.label} : {rewrapped} clé(s) de données réemballée(s) sous {target!r}"
            line += f" en {batches} lot(s)" if batches else ""
            if skipped:
                line += f" ; {skipped} modifiée(s) entre-temps, laissée(s) pour une relance"
            stdout.write(line + "\n")
    if stdout is not None:
        stopped = batches_left == 0  # the budget of max_batches is spent: maybe not done
        summary = "Arrêtée" if stopped else "Terminé"
        summary += f" : {sum(result.values())} clé(s) réemballée(s) sous {target!r}"
        summary += f" dans {len(result)} modèle(s)."
        if stopped:
            summary += f" Limite de {max_batches} lot(s) atteinte : relancez-la pour la suite."
        if total_skipped:
            summary += f" {total_skipped} ligne(s) modifiée(s) pendant la rotation : relancez-la."
        stdout.write(summary + "\n")
    return result
