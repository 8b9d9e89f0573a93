"""Settings: production values pass ``check --deploy``; bad environment values fail loudly.

The settings module reads the environment at import, so whole-configuration
cases run ``manage.py`` or ``python -c`` in a subprocess with an environment
built from scratch (nothing leaks in from the test run's own variables).
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from messpace.settings.env import (
    env_base64_key,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_master_keys,
    env_optional,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "messpace.settings",
        "DEBUG": "false",
        # Never connected to: check --deploy does not open the database.
        "DATABASE_URL": "postgres://messpace@127.0.0.1:5432/messpace_check_deploy",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "messpace.example.fr",
        "CSRF_TRUSTED_ORIGINS": "https://messpace.example.fr",
        "DEFAULT_FROM_EMAIL": "messpace <ne-pas-repondre@messpace.example.fr>",
        "EMAIL_HOST": "smtp.example.fr",
        "TRUSTED_PROXY_COUNT": "1",
        "MESSPACE_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        # Never connected to either: the checks read the settings only.
        "MESSPACE_CLAMAV_HOST": "clamav",
        "MESSPACE_MASTER_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "MESSPACE_SEARCH_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed arguments, our own interpreter)
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def setting(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(["-c", f"import messpace.settings as s; print(s.{name})"], env)


# --- Production configuration ----------------------------------------------------------------


def test_check_deploy_is_clean_with_production_values(tmp_path: Path) -> None:
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_debug_is_on(tmp_path: Path) -> None:
    """The check above would be worthless if it never failed: DEBUG=true must trip it."""
    development = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, DEBUG="true"),
    )
    tracebacks = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, DEBUG="true", DEBUG_TRACEBACKS="true"),
    )

    assert development.returncode != 0
    assert "security.W008" in development.stderr  # no HTTPS redirect in development mode
    assert "security.W018" not in development.stderr  # ... but no technical pages either
    assert tracebacks.returncode != 0
    assert "security.W018" in tracebacks.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"DEBUG": "true"}, "True False", id="development"),
        pytest.param({"DEBUG": "true", "DEBUG_TRACEBACKS": "true"}, "True True", id="tracebacks"),
    ],
)
def test_tracebacks_are_a_switch_of_their_own(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = run(
        ["-c", "import messpace.settings as s; print(s.DEV_MODE, s.DEBUG)"],
        production_env(tmp_path, **env),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_tracebacks_without_development_mode_refuse_to_start(tmp_path: Path) -> None:
    result = run(
        ["-c", "import messpace.settings"],
        production_env(tmp_path, DEBUG_TRACEBACKS="true"),
    )

    assert result.returncode != 0
    assert "DEBUG_TRACEBACKS=true needs DEBUG=true" in result.stderr


def test_the_demo_answers_an_unknown_page_with_its_own_french_404(tmp_path: Path) -> None:
    """``make demo``'s settings (DEBUG=true, embedded): no English debug page, no URL list."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "messpace.settings",
        "MESSPACE_VAR_DIR": str(tmp_path / "var"),
    }
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client(SERVER_NAME='127.0.0.1').get('/nulle-part/', HTTP_ACCEPT_LANGUAGE='fr'); "
        "print(r.status_code); print(r.content.decode())"
    )

    result = run(["-c", code], env)

    assert result.returncode == 0, result.stderr
    status, _, page = result.stdout.partition("\n")
    assert status == "404"
    assert "Page introuvable" in page
    assert "URLconf" not in page and "admin/" not in page


def test_production_defaults_are_strict(tmp_path: Path) -> None:
    code = (
        "import messpace.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.DEBUG, s.CELERY_TASK_ALWAYS_EAGER)"
    )

    result = run(["-c", code], production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "31536000", "False", "False"]


def test_missing_secret_key_with_a_database_url_refuses_to_start(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["SECRET_KEY"]

    result = setting("SECRET_KEY", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DATABASE_URL is set." in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(64)
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(key + "\n", encoding="utf-8")
    env = production_env(tmp_path, SECRET_KEY_FILE=str(secret_file))
    del env["SECRET_KEY"]

    result = setting("SECRET_KEY", env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_unreadable_secret_file_refuses_to_start(tmp_path: Path) -> None:
    env = production_env(tmp_path, SECRET_KEY_FILE=str(tmp_path / "absent"))

    result = setting("SECRET_KEY", env)

    assert result.returncode != 0
    assert "SECRET_KEY_FILE=" in result.stderr
    assert "cannot be read" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("SESSION_IDLE_MINUTES", "trente", "SESSION_IDLE_MINUTES='trente' is not an integer"),
        ("AXES_FAILURE_LIMIT", "0", "AXES_FAILURE_LIMIT=0 must be at least 1"),
        ("STORAGE_BACKEND", "ftp", "STORAGE_BACKEND='ftp' must be one of filesystem, s3"),
        (
            "MESSPACE_ERASURE_GRACE_DAYS",
            "81",
            "MESSPACE_ERASURE_GRACE_DAYS=81 must be at most 80: "
            "a record must be erased within three months of the request.",
        ),
        ("MESSPACE_EMERGENCY_HOURS", "0", "MESSPACE_EMERGENCY_HOURS=0 must be at least 1"),
        (
            "MESSPACE_SEARCH_INDEX_KEY",
            "pas du base64!",
            "MESSPACE_SEARCH_INDEX_KEY must be base64.",
        ),
        (
            "MESSPACE_SEARCH_INDEX_KEY",
            base64.b64encode(b"trop court").decode(),
            "MESSPACE_SEARCH_INDEX_KEY must hold at least 32 bytes.",
        ),
        ("MESSPACE_MASTER_KEYS", "k1:AAAA", "MESSPACE_MASTER_KEYS: key 'k1' decodes to 3 bytes"),
    ],
)
def test_bad_values_refuse_to_start(tmp_path: Path, name: str, value: str, message: str) -> None:
    result = setting("DEBUG", production_env(tmp_path, **{name: value}))

    assert result.returncode != 0
    assert message in result.stderr


def test_s3_storage_without_a_bucket_refuses_to_start(tmp_path: Path) -> None:
    result = setting("STORAGES", production_env(tmp_path, STORAGE_BACKEND="s3"))

    assert result.returncode != 0
    assert "STORAGE_S3_BUCKET is required" in result.stderr


def test_embedded_mode_starts_without_any_variable(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "MESSPACE_VAR_DIR": str(tmp_path / "var"),
    }

    result = run(
        ["-c", "import messpace.settings as s; print(s.EMBEDDED, s.CELERY_TASK_ALWAYS_EAGER)"],
        env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


# --- The typed readers ---------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("X", "X_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("value", ["maybe", "oui", "2", "truee"])
def test_env_bool_refuses_what_is_not_a_boolean(clean_env: pytest.MonkeyPatch, value: str) -> None:
    clean_env.setenv("X", value)

    with pytest.raises(ImproperlyConfigured, match="is not a boolean"):
        env_bool("X", False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("true", True), ("TRUE", True), ("1", True), ("on", True), ("yes", True)],
        *[("false", False), ("0", False), ("off", False), ("no", False), (" False ", False)],
    ],
)
def test_env_bool_reads_the_usual_spellings(
    clean_env: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    clean_env.setenv("X", value)

    assert env_bool("X", not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_falls_back_to_its_default_when_unset_or_empty(
    clean_env: pytest.MonkeyPatch, default: bool
) -> None:
    """
    GIVEN a security switch left empty (``SECURE_SSL_REDIRECT=`` in a compose file)
    WHEN the settings read it
    THEN it keeps its default, as an unset variable would, rather than silently turning off.
    """
    assert env_bool("X", default) is default
    clean_env.setenv("X", "")
    assert env_bool("X", default) is default


def test_env_int_refuses_text_and_values_below_the_minimum(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("X", "douze")
    with pytest.raises(ImproperlyConfigured, match="is not an integer"):
        env_int("X", 1)

    clean_env.setenv("X", "3")
    with pytest.raises(ImproperlyConfigured, match="must be at least 8"):
        env_int("X", 12, minimum=8)

    clean_env.setenv("X", "42")
    assert env_int("X", 12, minimum=8) == 42


def test_env_int_refuses_values_above_the_maximum_with_its_reason(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("X", "81")
    with pytest.raises(ImproperlyConfigured, match=r"^X=81 must be at most 80\.$"):
        env_int("X", 30, maximum=80)
    with pytest.raises(
        ImproperlyConfigured, match=r"^X=81 must be at most 80: erasure is due within 3 months\.$"
    ):
        env_int("X", 30, maximum=80, maximum_reason="erasure is due within 3 months")

    clean_env.setenv("X", "80")
    assert env_int("X", 30, minimum=0, maximum=80) == 80
    clean_env.delenv("X")
    assert env_int("X", 30, maximum=80) == 30


def test_env_base64_key_reads_the_raw_bytes_and_treats_empty_as_unset(
    clean_env: pytest.MonkeyPatch,
) -> None:
    assert env_base64_key("X") is None
    clean_env.setenv("X", "")
    assert env_base64_key("X") is None

    key = secrets.token_bytes(32)
    clean_env.setenv("X", base64.b64encode(key).decode())
    assert env_base64_key("X") == key


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pas du base64!", "X must be base64."),
        ("QUJ", "X must be base64."),  # bad padding
        ("clé", "X must be base64."),  # not even ASCII
        (base64.b64encode(b"x" * 31).decode(), "X must hold at least 32 bytes."),
    ],
    ids=["not-base64", "bad-padding", "non-ascii", "too-short"],
)
def test_env_base64_key_refuses_what_is_not_a_long_enough_base64_key(
    clean_env: pytest.MonkeyPatch, value: str, message: str
) -> None:
    clean_env.setenv("X", value)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_base64_key("X")

    assert str(excinfo.value) == message
    assert value not in str(excinfo.value)  # the key material is never echoed


def test_env_base64_key_minimum_length_is_configurable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("X", base64.b64encode(b"x" * 16).decode())

    assert env_base64_key("X", min_bytes=16) == b"x" * 16
    with pytest.raises(ImproperlyConfigured, match="at least 17 bytes"):
        env_base64_key("X", min_bytes=17)


def test_env_master_keys_parses_the_keys_from_the_variable_or_its_file(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first, second = secrets.token_bytes(32), secrets.token_bytes(32)
    assert env_master_keys("X") is None
    clean_env.setenv("X", "")
    assert env_master_keys("X") is None

    clean_env.setenv("X", f"k2:{base64.b64encode(first).decode()}")
    assert env_master_keys("X") == {"k2": first}

    secret = tmp_path / "keys"
    secret.write_text(
        f"k3:{base64.b64encode(second).decode()}\nk2:{base64.b64encode(first).decode()}\n",
        encoding="utf-8",
    )
    clean_env.setenv("X_FILE", str(secret))
    assert env_master_keys("X") == {"k3": second, "k2": first}


def test_env_master_keys_refusals_name_the_variable_not_the_key(
    clean_env: pytest.MonkeyPatch,
) -> None:
    short = base64.b64encode(b"y" * 16).decode()
    clean_env.setenv("X", f"k1:{short}")

    with pytest.raises(ImproperlyConfigured, match="X: key 'k1' decodes to 16 bytes") as excinfo:
        env_master_keys("X")
    assert short not in str(excinfo.value)


def test_env_choice_refuses_an_unknown_value(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("X", "ftp")

    with pytest.raises(ImproperlyConfigured, match="must be one of a, b"):
        env_choice("X", "a", ("a", "b"))


def test_env_list_splits_on_commas_and_drops_blanks(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("X", " a.fr, b.fr ,, ")

    assert env_list("X", []) == ["a.fr", "b.fr"]


def test_env_optional_treats_empty_as_unset(clean_env: pytest.MonkeyPatch) -> None:
    assert env_optional("X") is None
    clean_env.setenv("X", "")
    assert env_optional("X") is None


def test_file_variant_is_read_and_wins_over_the_plain_variable(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "x"
    secret.write_text("depuis-le-fichier\n", encoding="utf-8")
    clean_env.setenv("X", "depuis-la-variable")
    clean_env.setenv("X_FILE", str(secret))

    assert env_str("X", "defaut") == "depuis-le-fichier"


def test_file_variant_works_for_every_reader(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "x"
    clean_env.setenv("X_FILE", str(secret))

    secret.write_text("true\n", encoding="utf-8")
    assert env_bool("X", False) is True
    secret.write_text("25\n", encoding="utf-8")
    assert env_int("X", 1) == 25
    secret.write_text("maybe\n", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X", False)


def test_missing_file_fails_loudly(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("X_FILE", str(tmp_path / "absent"))

    with pytest.raises(ImproperlyConfigured, match=r"X_FILE=.* cannot be read"):
        env_str("X", "defaut")
