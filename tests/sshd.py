"""Fixtures: a real OpenSSH ``sshd`` on 127.0.0.1, with throwaway host and client keys.

Each test gets its own daemon (it starts in milliseconds) on a free port, with a
config written to a temporary folder: key login only, ``internal-sftp``, no PAM.
``sshd`` needs root (privilege separation, chroot). When it is missing the tests
skip, except under CI (``$CI`` set), where ``.ci/run`` installs it: there they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

SSHD = Path("/usr/sbin/sshd")
START_DEADLINE = 10.0  # seconds to wait for "Server listening" before giving up (not a performance check)


@dataclass(frozen=True, slots=True)
class KeyPair:
    private: Path
    public_line: str  # "ssh-ed25519 AAAA... comment"


@dataclass(slots=True)
class SshServer:
    port: int
    host_key: KeyPair
    folder: Path  # config, authorized_keys, log
    process: subprocess.Popen[bytes]
    log: Path

    def known_hosts(self, path: Path, key: KeyPair | None = None) -> Path:
        """Write a known_hosts file pinning ``key`` (default: the server's real host key) for this port."""
        path.write_text(f"[127.0.0.1]:{self.port} {(key or self.host_key).public_line}\n")
        return path

    def kill(self) -> None:
        """SIGKILL the daemon and every session it forked: connections drop mid-flight."""
        try:
            victims = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in reversed(victims):
            try:
                proc.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                continue
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def sshd_or_skip() -> Path:
    """The sshd binary, or a skip (a failure under CI) saying why the SFTP tests cannot run."""
    reason = None
    if not SSHD.is_file():
        reason = f"OpenSSH server not installed ({SSHD} missing; apt-get install openssh-server)"
    elif os.geteuid() != 0:
        reason = "sshd tests need root (privilege separation and chroot)"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return SSHD


def keygen(folder: Path, name: str, kind: str = "ed25519", passphrase: str = "") -> KeyPair:
    path = folder / name
    bits = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *bits, "-N", passphrase, "-C", name, "-f", str(path)],
                   check=True, capture_output=True)
    return KeyPair(path, path.with_suffix(".pub").read_text().strip())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(folder: Path, port: int, host_key: KeyPair, extra: str) -> str:
    return f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key.private}
PidFile {folder / "sshd.pid"}
AuthorizedKeysFile {folder / "authorized_keys"}
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
LogLevel VERBOSE
Subsystem sftp internal-sftp
{extra}
"""


def start_sshd(folder: Path, host_key: KeyPair, authorized: Sequence[KeyPair], extra: str = "") -> SshServer:
    """Start ``sshd -D -e`` on a free loopback port; return once it listens."""
    binary = sshd_or_skip()
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation folder
    keys = folder / "authorized_keys"
    keys.write_text("".join(f"{k.public_line}\n" for k in authorized))
    keys.chmod(0o644)  # sshd reads it as the logging-in user
    for _attempt in range(3):  # a free port can be taken by someone else before sshd binds it
        port = _free_port()
        config = folder / "sshd_config"
        config.write_text(_config(folder, port, host_key, extra))
        log = folder / f"sshd-{port}.log"
        with open(log, "wb") as sink:
            process = subprocess.Popen([str(binary), "-D", "-e", "-f", str(config)], stdout=sink, stderr=sink)
        if _wait_listening(process, log):
            return SshServer(port, host_key, folder, process, log)
    raise RuntimeError(f"sshd did not start: {log.read_text()}")


def _wait_listening(process: subprocess.Popen[bytes], log: Path) -> bool:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if "Server listening on" in log.read_text(errors="replace"):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    process.kill()
    process.wait()
    return False


@dataclass(slots=True)
class SshKeys:
    folder: Path
    host: KeyPair  # the server's real host key
    other_host: KeyPair  # a different host key: "the server key changed"
    client: KeyPair  # authorized ed25519
    rsa: KeyPair  # authorized RSA
    ecdsa: KeyPair  # authorized ECDSA
    encrypted: KeyPair  # authorized ed25519 with passphrase "s3cret pass"
    stranger: KeyPair  # never authorized
    authorized: list[KeyPair] = field(default_factory=list)


@pytest.fixture(scope="session")
def ssh_keys() -> Iterator[SshKeys]:
    sshd_or_skip()
    folder = Path(tempfile.mkdtemp(prefix="edipulse-keys-"))
    try:
        keys = SshKeys(folder, keygen(folder, "host"), keygen(folder, "other_host"), keygen(folder, "client"),
                       keygen(folder, "client_rsa", "rsa"), keygen(folder, "client_ecdsa", "ecdsa"),
                       keygen(folder, "client_encrypted", passphrase="s3cret pass"), keygen(folder, "stranger"))
        keys.authorized = [keys.client, keys.rsa, keys.ecdsa, keys.encrypted]
        yield keys
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def sshd_factory(ssh_keys: SshKeys) -> Iterator[Callable[..., SshServer]]:
    """Start daemons with extra sshd_config text (e.g. a ``Match User`` block); all stopped afterwards."""
    started: list[SshServer] = []
    folders: list[Path] = []

    def start(extra: str = "", host_key: KeyPair | None = None) -> SshServer:
        folder = Path(tempfile.mkdtemp(prefix="edipulse-sshd-"))
        folder.chmod(0o755)  # chrooted users must reach authorized_keys
        folders.append(folder)
        server = start_sshd(folder, host_key or ssh_keys.host, ssh_keys.authorized, extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def sshd(sshd_factory: Callable[..., SshServer]) -> SshServer:
    return sshd_factory()
