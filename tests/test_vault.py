"""The encryption vault (``messpace.vault``) and master key rotation (``messpace.vault_rotation``).

The test settings configure two master keys, ``t1`` (current) and ``t2``.
Rotation runs against a throwaway table: a model defined in isolated apps
(so no migration ever sees it) and created inside the test's transaction, so
PostgreSQL drops it again with the rollback.
"""

from __future__ import annotations

import base64
import io
import os
import runpy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import isolate_apps
from pytest_django.fixtures import Settings

from messpace import vault, vault_rotation

ROOT = Path(__file__).resolve().parent.parent
T1 = bytes(range(1, 33))
T2 = bytes(range(101, 133))
T3 = bytes(range(201, 233))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# --- Contents ------------------------------------------------------------------------------


def test_contents_round_trip_under_their_data_key() -> None:
    dk = vault.new_data_key(owner="document:1")

    sealed = vault.encrypt(dk.key, b"compte rendu", aad="document:1:original")

    assert b"compte rendu" not in sealed
    assert len(sealed) == 12 + len(b"compte rendu") + 16
    assert vault.decrypt(dk.key, sealed, aad="document:1:original") == b"compte rendu"
    # A fresh nonce every time: the same plaintext never gives the same ciphertext.
    assert vault.encrypt(dk.key, b"compte rendu", aad="document:1:original") != sealed


@pytest.mark.parametrize("index", [0, 11, 12, -1], ids=["nonce", "nonce-end", "body", "tag"])
def test_altered_ciphertext_is_refused(index: int) -> None:
    key = vault.new_data_key(owner="document:1").key
    sealed = vault.encrypt(key, b"compte rendu", aad="document:1:original")

    with pytest.raises(vault.VaultError, match="does not authenticate"):
        vault.decrypt(key, flip(sealed, index), aad="document:1:original")


def test_truncated_ciphertext_is_refused() -> None:
    key = vault.new_data_key(owner="document:1").key
    sealed = vault.encrypt(key, b"", aad="a")

    with pytest.raises(vault.VaultError):
        vault.decrypt(key, sealed[:-1], aad="a")
    with pytest.raises(vault.VaultError, match="too short"):
        vault.decrypt(key, sealed[:20], aad="a")


def test_ciphertext_moved_to_another_object_or_part_is_refused() -> None:
    """
    GIVEN the preview of document 1
    WHEN it is presented as document 1's extracted text, or as document 2's preview
    THEN it does not decrypt: the associated data binds it to its object and part.
    """
    key = vault.new_data_key(owner="document:1").key
    sealed = vault.encrypt(key, b"apercu", aad="document:1:preview")

    for aad in ("document:1:text", "document:2:preview"):
        with pytest.raises(vault.VaultError):
            vault.decrypt(key, sealed, aad=aad)


def test_ciphertext_under_another_data_key_is_refused() -> None:
    sealed = vault.encrypt(vault.new_data_key(owner="a").key, b"x", aad="a:original")

    with pytest.raises(vault.VaultError):
        vault.decrypt(vault.new_data_key(owner="a").key, sealed, aad="a:original")


def test_a_data_key_must_be_32_bytes() -> None:
    with pytest.raises(vault.VaultError, match="32 bytes"):
        vault.encrypt(b"k" * 16, b"x", aad="a")


# --- Data keys -----------------------------------------------------------------------------


def test_new_data_key_is_random_wrapped_under_the_current_master_key() -> None:
    first = vault.new_data_key(owner="document:1")
    second = vault.new_data_key(owner="document:1")

    assert first.key_id == "t1" == vault.current_key_id()
    assert len(first.key) == 32 and first.key != second.key
    assert first.key not in first.wrapped
    assert len(first.wrapped) == vault.WRAPPED_BYTES
    assert vault.unwrap(wrapped=first.wrapped, key_id="t1", owner="document:1") == first.key
    # Neither repr nor a traceback prints the clear key.
    assert first.key.hex() not in repr(first) and repr(first.key) not in repr(first)


def test_wrapped_key_moved_to_another_row_is_refused() -> None:
    dk = vault.new_data_key(owner="document:1")

    with pytest.raises(vault.VaultError, match="does not unwrap"):
        vault.unwrap(wrapped=dk.wrapped, key_id=dk.key_id, owner="document:2")


def test_wrapped_key_relabelled_with_another_key_id_is_refused() -> None:
    """
    GIVEN a data key wrapped under t1
    WHEN its row claims it is under t2 (a bad update, a swapped column)
    THEN it does not unwrap, even though t2 is a configured key.
    """
    dk = vault.new_data_key(owner="document:1")

    with pytest.raises(vault.VaultError, match="does not unwrap"):
        vault.unwrap(wrapped=dk.wrapped, key_id="t2", owner="document:1")


@pytest.mark.parametrize("index", [0, 20, -1])
def test_altered_wrapped_key_is_refused(index: int) -> None:
    dk = vault.new_data_key(owner="document:1")

    with pytest.raises(vault.VaultError):
        vault.unwrap(wrapped=flip(dk.wrapped, index), key_id="t1", owner="document:1")
    with pytest.raises(vault.VaultError, match="60 bytes"):
        vault.unwrap(wrapped=dk.wrapped[:-1], key_id="t1", owner="document:1")


def test_unknown_master_key_id_is_refused() -> None:
    dk = vault.new_data_key(owner="document:1")

    with pytest.raises(vault.VaultError, match="Unknown master key id 'gone'"):
        vault.unwrap(wrapped=dk.wrapped, key_id="gone", owner="document:1")
    with pytest.raises(vault.VaultError, match="'gone'"):
        vault.rewrap(wrapped=dk.wrapped, key_id="t1", owner="document:1", to_key_id="gone")


def test_an_owner_is_required() -> None:
    with pytest.raises(vault.VaultError, match="owner"):
        vault.new_data_key(owner="")
    with pytest.raises(vault.VaultError, match="owner"):
        vault.wrap_key(os.urandom(32), key_id="t1", owner="")


def test_an_existing_data_key_wraps_under_the_master_key_named() -> None:
    key = os.urandom(32)

    wrapped = vault.wrap_key(key, key_id="t2", owner="document:1")

    assert len(wrapped) == vault.WRAPPED_BYTES and key not in wrapped
    assert vault.unwrap(wrapped=wrapped, key_id="t2", owner="document:1") == key
    with pytest.raises(vault.VaultError, match="does not unwrap"):
        vault.unwrap(wrapped=wrapped, key_id="t1", owner="document:1")
    with pytest.raises(vault.VaultError, match="Unknown master key id 'gone'"):
        vault.wrap_key(key, key_id="gone", owner="document:1")


def test_rewrapped_key_opens_under_the_new_master_key_once_the_old_one_is_gone(
    settings: Settings,
) -> None:
    """
    GIVEN a document sealed while t1 was current
    WHEN t2 becomes current, its key is re-wrapped, and t1 is removed from the settings
    THEN the document still decrypts, with the same data key, and nothing depends on t1.
    """
    dk = vault.new_data_key(owner="document:1")
    sealed = vault.encrypt(dk.key, b"ordonnance", aad="document:1:original")
    settings.MESSPACE_MASTER_KEY_ID = "t2"

    wrapped, key_id = vault.rewrap(wrapped=dk.wrapped, key_id=dk.key_id, owner="document:1")
    settings.MESSPACE_MASTER_KEYS = {"t2": T2}

    assert key_id == "t2" and wrapped != dk.wrapped
    data_key = vault.unwrap(wrapped=wrapped, key_id=key_id, owner="document:1")
    assert data_key == dk.key
    assert vault.decrypt(data_key, sealed, aad="document:1:original") == b"ordonnance"
    with pytest.raises(vault.VaultError, match="Unknown master key id 't1'"):
        vault.unwrap(wrapped=dk.wrapped, key_id="t1", owner="document:1")


def test_rewrap_to_the_key_it_is_already_under_changes_nothing() -> None:
    dk = vault.new_data_key(owner="document:1")

    assert vault.rewrap(wrapped=dk.wrapped, key_id="t1", owner="document:1") == (dk.wrapped, "t1")


# --- Configuration ---------------------------------------------------------------------------


def test_master_key_ids_come_from_the_settings_in_order() -> None:
    assert vault.master_key_ids() == ["t1", "t2"]


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ({}, "t1", "not configured"),
        ({"t1": b"short"}, "t1", "'t1' must be 32 raw bytes"),
        ({"t1": b64(T1)}, "t1", "'t1' must be 32 raw bytes"),  # base64 text, not raw bytes
        ({"a:b": T1}, "a:b", "invalid key id"),
        ({"t1": T1}, "t9", "MESSPACE_MASTER_KEY_ID='t9' is not one of"),
    ],
)
def test_bad_master_key_settings_fail_clearly(
    settings: Settings, keys: dict[str, Any], current: str, message: str
) -> None:
    settings.MESSPACE_MASTER_KEYS = keys
    settings.MESSPACE_MASTER_KEY_ID = current

    with pytest.raises(vault.VaultConfigError, match=message) as excinfo:
        vault.new_data_key(owner="document:1")
    assert isinstance(excinfo.value, ImproperlyConfigured)


def test_master_keys_parse_from_commas_or_lines() -> None:
    text = f"old:{b64(T1)},\nnew:{b64(T2)}\n"

    assert vault.parse_master_keys(text) == {"old": T1, "new": T2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        (b64(T1), "entry 1 is not of the form key_id:base64key"),
        (f"a:{b64(T1)},b:", "entry 2 is not of the form"),
        (f"k:{b64(T1)[:-4]}", "key 'k' decodes to 30 bytes, not 32"),
        (f"k:{b64(T1)}!", "key 'k' is not valid base64"),
        (f"k:{b64(T1)},k:{b64(T2)}", "key id 'k' appears twice"),
        (f"-k:{b64(T1)}", "entry 1 has an invalid key id"),
    ],
)
def test_malformed_master_keys_are_refused_without_echoing_them(text: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message) as excinfo:
        vault.parse_master_keys(text)
    assert b64(T1)[:20] not in str(excinfo.value)


def test_development_master_key_is_stable_and_follows_secret_key() -> None:
    assert vault.dev_master_key("a") == vault.dev_master_key("a")
    assert len(vault.dev_master_key("a")) == 32
    assert vault.dev_master_key("a") != vault.dev_master_key("b")


def run_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str | None) -> Any:
    """Execute the settings file afresh (not the imported module) under ``env``."""
    base: dict[str, str | None] = {
        "DEBUG": "false",
        "DATABASE_URL": "postgres://messpace@127.0.0.1:5432/never_connected",
        "SECRET_KEY": "a-production-secret-key-for-this-test-only-0123456789",
        "MESSPACE_VAR_DIR": str(tmp_path),
        "MESSPACE_MASTER_KEYS": None,
        "MESSPACE_MASTER_KEYS_FILE": None,
        "MESSPACE_MASTER_KEY_ID": None,
    }
    for name, value in (base | env).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "messpace" / "settings" / "__init__.py"))


def test_production_without_master_keys_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"MESSPACE_MASTER_KEYS .* must be set"):
        run_settings(monkeypatch, tmp_path)


def test_production_reads_master_keys_from_a_file_and_defaults_to_the_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "master_keys"
    secret.write_text(f"k2025:{b64(T3)}\nk2024:{b64(T1)}\n", encoding="utf-8")

    conf = run_settings(monkeypatch, tmp_path, MESSPACE_MASTER_KEYS_FILE=str(secret))

    assert conf["MESSPACE_MASTER_KEYS"] == {"k2025": T3, "k2024": T1}
    assert conf["MESSPACE_MASTER_KEY_ID"] == "k2025"


def test_current_master_key_id_must_be_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ImproperlyConfigured, match="MESSPACE_MASTER_KEY_ID='k9' is not a key id"):
        run_settings(
            monkeypatch, tmp_path, MESSPACE_MASTER_KEYS=f"k1:{b64(T1)}", MESSPACE_MASTER_KEY_ID="k9"
        )


@pytest.mark.parametrize(
    "env", [{"DEBUG": "true"}, {"DATABASE_URL": None}], ids=["debug", "embedded"]
)
def test_development_derives_a_master_key_from_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str | None]
) -> None:
    conf = run_settings(monkeypatch, tmp_path, **env)

    assert conf["MESSPACE_MASTER_KEY_ID"] == "dev"
    assert conf["MESSPACE_MASTER_KEYS"] == {"dev": vault.dev_master_key(conf["SECRET_KEY"])}


# --- Rotation against a real table ----------------------------------------------------------


@pytest.fixture
def sealed_model(db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[models.Model]]:
    """A table of sealed rows, registered alone for rotation (as documents will be).

    Like ``Document``, its owner string comes from a public UUID, not the pk.
    """
    with isolate_apps("messpace.accounts"):

        class SealedThing(models.Model):
            public_id = models.UUIDField(default=uuid.uuid4, unique=True)
            wrapped_key = models.BinaryField()
            key_id = models.CharField(max_length=32, blank=True)

            class Meta:
                app_label = "accounts"
                db_table = "test_vault_sealed_thing"
                managed = False

            def __str__(self) -> str:
                return str(self.public_id)

        # PostgreSQL DDL is transactional: the test's rollback drops the table.
        with connection.schema_editor() as editor:
            editor.create_model(SealedThing)
        # SealedThing stands alone in the registry; monkeypatch puts the real
        # entries back once this fixture has taken its own out.
        registry = vault.sealed_registry()
        for label in list(registry):
            monkeypatch.delitem(registry, label)
        vault.register_sealed(
            SealedThing, owner=lambda row: f"thing:{row.public_id}", owner_fields=["public_id"]
        )
        yield SealedThing
        registry.pop(SealedThing._meta.label, None)


def seal_rows(model: type[models.Model], count: int, key_id: str) -> list[Any]:
    """``count`` rows whose data key is wrapped under ``key_id``; each keeps its clear key."""
    rows = []
    for _ in range(count):
        public_id = uuid.uuid4()
        key = os.urandom(32)
        wrapped = vault.wrap_key(key, key_id=key_id, owner=f"thing:{public_id}")
        row = model._default_manager.create(public_id=public_id, wrapped_key=wrapped, key_id=key_id)
        row.clear_key = key  # type: ignore[attr-defined]
        rows.append(row)
    return rows


def stored(model: type[models.Model]) -> dict[Any, tuple[bytes, str]]:
    return {
        row.pk: (bytes(row.wrapped_key), row.key_id)  # type: ignore[attr-defined]
        for row in model._default_manager.all()
    }


def test_rotation_rewraps_every_old_key_and_leaves_current_ones_alone(
    sealed_model: type[models.Model],
) -> None:
    old = seal_rows(sealed_model, 5, "t1")
    current = seal_rows(sealed_model, 2, "t2")
    before = stored(sealed_model)
    out = io.StringIO()

    result = vault_rotation.rotate(to_key_id="t2", batch_size=2, stdout=out)

    assert result == {"accounts.SealedThing": 5}
    after = stored(sealed_model)
    for row in current:
        assert after[row.pk] == before[row.pk]
    for row in old:
        wrapped, key_id = after[row.pk]
        assert key_id == "t2" and wrapped != before[row.pk][0]
        owner = f"thing:{row.public_id}"
        assert vault.unwrap(wrapped=wrapped, key_id="t2", owner=owner) == row.clear_key
    assert "accounts.SealedThing : 5 clé(s) de données réemballée(s) sous 't2' en 3 lot(s)" in (
        out.getvalue()
    )
    assert vault_rotation.pending_counts(to_key_id="t2") == {"accounts.SealedThing": {}}
    # Nothing left to do: a second run writes nothing.
    assert vault_rotation.rotate(to_key_id="t2", batch_size=2) == {"accounts.SealedThing": 0}


def test_interrupted_rotation_resumes_without_redoing_finished_batches(
    sealed_model: type[models.Model],
) -> None:
    """
    GIVEN 5 rows under t1 and a rotation to t2 in batches of 2
    WHEN the run stops right after committing the first batch (as a killed process would)
    THEN those 2 rows are done, and a rerun re-wraps only the 3 left.
    """
    seal_rows(sealed_model, 5, "t1")
    out = io.StringIO()

    assert vault_rotation.rotate(to_key_id="t2", batch_size=2, max_batches=1, stdout=out) == {
        "accounts.SealedThing": 2
    }
    assert "Limite de 1 lot(s) atteinte : relancez-la" in out.getvalue()

    assert sorted(key_id for _, key_id in stored(sealed_model).values()) == [
        "t1",
        "t1",
        "t1",
        "t2",
        "t2",
    ]
    with mock.patch.object(vault_rotation.vault, "rewrap", wraps=vault.rewrap) as rewrap:
        assert vault_rotation.rotate(to_key_id="t2", batch_size=2) == {"accounts.SealedThing": 3}
    assert rewrap.call_count == 3
    assert {key_id for _, key_id in stored(sealed_model).values()} == {"t2"}


def test_max_batches_counts_the_batches_of_every_model_and_must_be_positive(
    sealed_model: type[models.Model],
) -> None:
    seal_rows(sealed_model, 3, "t1")
    entry = vault.sealed_models()[0]

    # The budget is spent on the first model: the second (the same table again) is not reached.
    result = vault_rotation.rotate(
        to_key_id="t2", batch_size=2, max_batches=1, models=[entry, entry]
    )

    assert result == {"accounts.SealedThing": 2}
    with pytest.raises(ValueError, match="max_batches must be at least 1"):
        vault_rotation.rotate(to_key_id="t2", max_batches=0)


def test_a_failing_row_rolls_back_its_batch_only_and_is_named(
    sealed_model: type[models.Model],
) -> None:
    rows = seal_rows(sealed_model, 4, "t1")
    # The 4th row's wrapped key was altered: it can never be re-wrapped.
    broken = rows[3]
    sealed_model._default_manager.filter(pk=broken.pk).update(
        wrapped_key=flip(bytes(broken.wrapped_key), 30)
    )

    with pytest.raises(vault.VaultError, match=rf"accounts\.SealedThing pk={broken.pk}: "):
        vault_rotation.rotate(to_key_id="t2", batch_size=2)

    key_ids = {pk: key_id for pk, (_, key_id) in stored(sealed_model).items()}
    assert [key_ids[row.pk] for row in rows] == ["t2", "t2", "t1", "t1"]


def test_row_changed_during_rotation_is_not_overwritten(
    sealed_model: type[models.Model],
) -> None:
    """
    GIVEN a row read by the rotation
    WHEN its data key is replaced (new upload, still under t1) before the rotation writes
    THEN the rotation leaves the new key in place, reports the row, and a rerun rotates it.
    """
    (row,) = seal_rows(sealed_model, 1, "t1")
    fresh = vault.new_data_key(owner=f"thing:{row.public_id}")
    manager = sealed_model._default_manager
    real_rewrap = vault.rewrap

    def concurrent_writer(**kwargs: Any) -> tuple[bytes, str]:
        result = real_rewrap(**kwargs)
        manager.filter(pk=row.pk).update(wrapped_key=fresh.wrapped, key_id=fresh.key_id)
        return result

    out = io.StringIO()
    with mock.patch.object(vault_rotation.vault, "rewrap", side_effect=concurrent_writer):
        assert vault_rotation.rotate(to_key_id="t2", stdout=out) == {"accounts.SealedThing": 0}

    assert stored(sealed_model)[row.pk] == (fresh.wrapped, "t1")
    assert "1 modifiée(s) entre-temps" in out.getvalue()
    assert "relancez-la" in out.getvalue()
    assert vault_rotation.rotate(to_key_id="t2") == {"accounts.SealedThing": 1}
    wrapped, key_id = stored(sealed_model)[row.pk]
    assert vault.unwrap(wrapped=wrapped, key_id=key_id, owner=f"thing:{row.public_id}") == (
        fresh.key
    )


def test_rotation_queries_stay_per_batch(
    sealed_model: type[models.Model], django_assert_max_num_queries: Any
) -> None:
    seal_rows(sealed_model, 6, "t1")

    # Per batch of 3: one SELECT, one UPDATE per row, a savepoint and its release;
    # then one SELECT finding nothing left (inside its own savepoint pair).
    with django_assert_max_num_queries(2 * (1 + 3 + 2) + 3):
        vault_rotation.rotate(to_key_id="t2", batch_size=3)


def test_registering_an_unknown_field_fails(sealed_model: type[models.Model]) -> None:
    with pytest.raises(ImproperlyConfigured, match="no field 'wrapped'"):
        vault.register_sealed(sealed_model, wrapped_field="wrapped", owner=str)


# --- The command ---------------------------------------------------------------------------


def test_command_dry_run_counts_and_writes_nothing(
    sealed_model: type[models.Model], settings: Settings
) -> None:
    seal_rows(sealed_model, 3, "t1")
    seal_rows(sealed_model, 1, "t2")
    before = stored(sealed_model)
    settings.MESSPACE_MASTER_KEYS = {"t1": T1, "t2": T2, "t3": T3}
    settings.MESSPACE_MASTER_KEY_ID = "t3"
    out = io.StringIO()

    call_command("rotate_master_key", "--dry-run", stdout=out)

    assert "accounts.SealedThing : 4 à réemballer (3 sous 't1', 1 sous 't2')" in out.getvalue()
    assert "Simulation : 4 clé(s) à réemballer sous 't3', rien écrit." in out.getvalue()
    assert stored(sealed_model) == before


def test_command_rotates_to_the_current_key_and_says_which_keys_are_free(
    sealed_model: type[models.Model], settings: Settings
) -> None:
    seal_rows(sealed_model, 3, "t1")
    settings.MESSPACE_MASTER_KEY_ID = "t2"
    out = io.StringIO()

    call_command("rotate_master_key", "--batch-size", "2", stdout=out)

    assert {key_id for _, key_id in stored(sealed_model).values()} == {"t2"}
    text = out.getvalue()
    assert "Terminé : 3 clé(s) réemballée(s) sous 't2' dans 1 modèle(s)." in text
    assert "Plus utilisées par aucune ligne : t1" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--to", "t9"], "Clé maîtresse inconnue : 't9'"), (["--batch-size", "0"], "au moins 1")],
)
def test_command_refuses_bad_options(
    sealed_model: type[models.Model], args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("rotate_master_key", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_command_reports_a_row_that_cannot_be_rewrapped(
    sealed_model: type[models.Model], settings: Settings
) -> None:
    seal_rows(sealed_model, 1, "t1")
    # t1 was removed before its rows were rotated: the operator must put it back.
    settings.MESSPACE_MASTER_KEYS = {"t2": T2}
    settings.MESSPACE_MASTER_KEY_ID = "t2"

    with pytest.raises(CommandError, match="Unknown master key id 't1'"):
        call_command("rotate_master_key", stdout=io.StringIO())
