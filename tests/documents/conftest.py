"""Fixtures for the documents tests, above all a real ClamAV daemon.

``clamd_server`` starts Debian's ``clamd`` once per test process (each
pytest-xdist worker has its own, so no lock and no ``xdist_group`` is needed),
on a unix socket in a private temporary directory, and stops it when the
session ends. Its database is built at start with ``sigtool`` and holds one
body signature matching the EICAR test string anywhere in a stream, so
nothing depends on ``/var/lib/clamav`` or on freshclam reaching the internet,
and clamd is ready in well under a second.

``scanner`` points the settings at it; ``scanner_off`` is for tests that do
not exercise scanning and want documents to go in unscanned.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clamav_client.clamd import ClamdError, ClamdUnixSocket
from pypdf import PdfWriter
from pytest_django.fixtures import Settings

# Split in two so that this file is not itself flagged by an antivirus on a
# developer's machine; the bytes sent to clamd are the standard 68-byte string.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# clamd reports signatures from a non-official database with this suffix.
EICAR_SIGNATURE = "Messpace.Test.Eicar.UNOFFICIAL"

INSTALL_HINT = "install it with: apt-get install -y clamav-daemon clamav"
STARTUP_SECONDS = 30

CLAMD_CONF = """\
LocalSocket {socket}
LocalSocketMode 600
DatabaseDirectory {database}
TemporaryDirectory {scratch}
PidFile {workdir}/clamd.pid
Foreground yes
LogSyslog no
LogFile {workdir}/clamd.log
LogTime yes
# A bit above the largest document messpace accepts.
StreamMaxLength 64M
MaxFileSize 64M
MaxScanSize 64M
MaxRecursion 10
MaxFiles 1000
MaxEmbeddedPE 16M
MaxHTMLNormalize 16M
MaxScriptNormalize 16M
# The database never changes during a session; no reload thread.
SelfCheck 0
# No bytecode signatures here; skipping the bytecode engine speeds start-up.
Bytecode no
"""


def _binary(name: str) -> str:
    # /usr/sbin is not on every user's PATH, but it is where Debian puts clamd.
    path = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
    if path is None:
        pytest.fail(f"ClamAV's {name} is not installed; {INSTALL_HINT}", pytrace=False)
    return path


def _write_database(sigtool: str, database: Path) -> None:
    """One .ndb body signature: the EICAR string at any offset of any file type."""
    hex_dump = subprocess.run(  # noqa: S603 (fixed arguments)
        [sigtool, "--hex-dump"], input=EICAR, capture_output=True, check=True
    ).stdout.decode("ascii")
    database.mkdir()
    (database / "messpace-test.ndb").write_text(
        f"Messpace.Test.Eicar:0:*:{hex_dump.strip()}\n", encoding="ascii"
    )


def _wait_until_ready(process: subprocess.Popen[bytes], socket: Path, output: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"clamd exited with status {process.returncode}:\n{output.read_text(errors='replace')}",
                pytrace=False,
            )
        if socket.exists():
            try:
                if ClamdUnixSocket(str(socket), timeout=2).ping() == "PONG":
                    return
            except ClamdError:
                pass  # socket bound, not yet accepting
        time.sleep(0.05)
    pytest.fail(
        f"clamd not ready after {STARTUP_SECONDS} s:\n{output.read_text(errors='replace')}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def clamd_server() -> Iterator[str]:
    """A running clamd for this test process; yields the path of its unix socket.

    Fails (never skips) when clamd or sigtool is missing: a suite that silently
    stopped testing the malware scanner would be worse than a red one.
    """
    clamd, sigtool = _binary("clamd"), _binary("sigtool")
    # mkdtemp rather than tmp_path_factory: a unix socket path must stay under
    # 108 bytes, and pytest's base temporary directory can be deep.
    workdir = Path(tempfile.mkdtemp(prefix="messpace-clamd-"))
    socket, config = workdir / "clamd.sock", workdir / "clamd.conf"
    # In the foreground clamd copies its log to stdout, where configuration
    # errors also go: the one file to show when it does not start.
    output = workdir / "clamd.out"
    process: subprocess.Popen[bytes] | None = None
    try:
        (workdir / "scratch").mkdir()
        _write_database(sigtool, workdir / "db")
        config.write_text(
            CLAMD_CONF.format(
                socket=socket,
                database=workdir / "db",
                scratch=workdir / "scratch",
                workdir=workdir,
            ),
            encoding="utf-8",
        )
        with output.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [clamd, f"--config-file={config}"], stdout=out, stderr=subprocess.STDOUT
            )
        _wait_until_ready(process, socket, output)
        yield str(socket)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def scanner(settings: Settings, clamd_server: str) -> str:
    """Settings pointed at this process's clamd; returns its socket path."""
    settings.MESSPACE_CLAMAV_SOCKET = clamd_server
    settings.MESSPACE_CLAMAV_HOST = None
    settings.MESSPACE_CLAMAV_TIMEOUT = 10
    settings.MESSPACE_ALLOW_NO_SCANNER = False
    return clamd_server


@pytest.fixture
def scanner_off(settings: Settings) -> None:
    """No scanner, and documents accepted unscanned (as in ``make demo``)."""
    settings.MESSPACE_CLAMAV_SOCKET = None
    settings.MESSPACE_CLAMAV_HOST = None
    settings.MESSPACE_ALLOW_NO_SCANNER = True


@pytest.fixture
def eicar() -> bytes:
    """The EICAR antivirus test file: harmless, detected as malware by design."""
    return EICAR


@pytest.fixture
def eicar_signature() -> str:
    """The name clamd gives EICAR with the test database of ``clamd_server``."""
    return EICAR_SIGNATURE


@pytest.fixture
def clean_pdf() -> bytes:
    """A real one-page PDF, as a patient would upload."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Compte rendu"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
