"""Malware scanning through a real clamd (``documents.scanning``) and the refusal
to run production without a scanner (``documents.checks``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from documents.checks import check_malware_scanner
from documents.scanning import ScanInfected, ScannerUnavailable, scan_bytes, scanner_configured
from tests.test_settings import production_env, run, setting

# --- A real clamd --------------------------------------------------------------------------


def test_eicar_is_refused_with_the_signature_name(
    scanner: str, eicar: bytes, eicar_signature: str
) -> None:
    with pytest.raises(ScanInfected) as caught:
        scan_bytes(eicar)

    assert caught.value.signature == eicar_signature
    assert eicar_signature in str(caught.value)


def test_clean_pdf_passes(scanner: str, clean_pdf: bytes) -> None:
    assert clean_pdf.startswith(b"%PDF-")

    assert scan_bytes(clean_pdf) is None


def test_clean_bytes_and_an_empty_file_pass(scanner: str) -> None:
    assert scan_bytes(b"Compte rendu de consultation du 3 mars.\n" * 1000) is None
    assert scan_bytes(b"") is None


def test_eicar_hidden_in_the_middle_of_a_larger_file_is_found(
    scanner: str, eicar: bytes, eicar_signature: str, clean_pdf: bytes
) -> None:
    """
    GIVEN the EICAR string buried 2 MB into a file that starts as a PDF
    WHEN it is scanned
    THEN clamd still finds it: the file is streamed whole, not sampled.
    """
    padding = b"\x00" * (2 * 1024 * 1024)

    with pytest.raises(ScanInfected) as caught:
        scan_bytes(clean_pdf + padding + eicar + padding)

    assert caught.value.signature == eicar_signature


# --- clamd unreachable: transient ------------------------------------------------------


def test_clamd_down_is_transient(settings: Settings, tmp_path: Path, eicar: bytes) -> None:
    settings.MESSPACE_CLAMAV_SOCKET = str(tmp_path / "absent.sock")
    settings.MESSPACE_CLAMAV_HOST = None

    with pytest.raises(ScannerUnavailable, match=r"absent\.sock"):
        scan_bytes(eicar)


def test_clamd_over_tcp_refusing_connections_is_transient(settings: Settings) -> None:
    # A port just released by the kernel: nothing listens there.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MESSPACE_CLAMAV_SOCKET = None
    settings.MESSPACE_CLAMAV_HOST = "127.0.0.1"
    settings.MESSPACE_CLAMAV_PORT = port

    with pytest.raises(ScannerUnavailable):
        scan_bytes(b"%PDF-1.7")


@pytest.fixture
def mute_clamd(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts connections and never answers."""
    path = tmp_path / "mute.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        yield str(path)


def test_clamd_that_never_answers_times_out_as_transient(
    settings: Settings, mute_clamd: str
) -> None:
    """
    GIVEN a clamd that takes the connection but hangs
    WHEN a document is scanned
    THEN the scan gives up after MESSPACE_CLAMAV_TIMEOUT, as a transient failure,
    rather than blocking the ingestion worker for ever.
    """
    settings.MESSPACE_CLAMAV_SOCKET = mute_clamd
    settings.MESSPACE_CLAMAV_HOST = None
    settings.MESSPACE_CLAMAV_TIMEOUT = 1

    with pytest.raises(ScannerUnavailable, match="no verdict"):
        scan_bytes(b"%PDF-1.7")


# --- No scanner configured -------------------------------------------------------------


def test_without_a_scanner_the_allow_flag_lets_documents_in_unscanned(
    scanner_off: None, eicar: bytes
) -> None:
    assert not scanner_configured()

    # Not even EICAR is caught: this is what the flag knowingly gives up.
    assert scan_bytes(eicar) is None


def test_without_a_scanner_nor_the_flag_every_document_is_refused(settings: Settings) -> None:
    settings.MESSPACE_CLAMAV_SOCKET = None
    settings.MESSPACE_CLAMAV_HOST = None
    settings.MESSPACE_ALLOW_NO_SCANNER = False

    with pytest.raises(ScannerUnavailable, match="No malware scanner configured"):
        scan_bytes(b"%PDF-1.7")


def test_scanner_configured_by_socket_or_by_host(settings: Settings) -> None:
    settings.MESSPACE_CLAMAV_SOCKET = None
    settings.MESSPACE_CLAMAV_HOST = "clamav"
    assert scanner_configured()

    settings.MESSPACE_CLAMAV_SOCKET = "/run/clamav/clamd.ctl"
    settings.MESSPACE_CLAMAV_HOST = None
    assert scanner_configured()


# --- Production refuses to start without a scanner -------------------------------------


@pytest.mark.parametrize(
    ("debug", "socket_path", "allow", "refused"),
    [
        (False, None, False, True),
        (False, None, True, False),
        (False, "/run/clamav/clamd.ctl", False, False),
        (True, None, False, False),
    ],
)
def test_check_refuses_production_without_a_scanner_unless_told_so(
    settings: Settings, debug: bool, socket_path: str | None, allow: bool, refused: bool
) -> None:
    settings.DEV_MODE = debug
    settings.MESSPACE_CLAMAV_SOCKET = socket_path
    settings.MESSPACE_CLAMAV_HOST = None
    settings.MESSPACE_ALLOW_NO_SCANNER = allow

    ids = [message.id for message in check_malware_scanner(None)]

    assert ids == (["documents.E001"] if refused else [])


def test_manage_py_refuses_production_values_without_a_scanner(tmp_path: Path) -> None:
    """The check is registered at startup: ``check`` (as ``migrate`` and ``runserver``) stops."""
    result = run(["manage.py", "check"], production_env(tmp_path, MESSPACE_CLAMAV_HOST=""))

    assert result.returncode != 0
    assert "documents.E001" in result.stderr
    assert "MESSPACE_ALLOW_NO_SCANNER=true" in result.stderr


def test_manage_py_starts_without_a_scanner_when_explicitly_allowed(tmp_path: Path) -> None:
    env = production_env(tmp_path, MESSPACE_CLAMAV_HOST="", MESSPACE_ALLOW_NO_SCANNER="true")

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_allow_flag_defaults_to_debug_or_embedded_mode(tmp_path: Path) -> None:
    production = setting("MESSPACE_ALLOW_NO_SCANNER", production_env(tmp_path))
    development = setting("MESSPACE_ALLOW_NO_SCANNER", production_env(tmp_path, DEBUG="true"))
    embedded = setting(
        "MESSPACE_ALLOW_NO_SCANNER",
        {k: v for k, v in production_env(tmp_path).items() if k != "DATABASE_URL"},
    )

    assert (production.stdout.strip(), development.stdout.strip()) == ("False", "True")
    assert embedded.stdout.strip() == "True", embedded.stderr


def test_socket_and_host_together_refuse_to_start(tmp_path: Path) -> None:
    env = production_env(tmp_path, MESSPACE_CLAMAV_SOCKET="/run/clamav/clamd.ctl")

    result = setting("MESSPACE_CLAMAV_SOCKET", env)

    assert result.returncode != 0
    assert "Set MESSPACE_CLAMAV_SOCKET or MESSPACE_CLAMAV_HOST, not both." in result.stderr
