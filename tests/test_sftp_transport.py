"""The SFTP transport against a real OpenSSH sshd on loopback (no mocks)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sshd import KeyPair, SshKeys, SshServer

from transports.base import RemoteFile, SettleTracker, TransferAttempt, Transport, TransportError, check_name
from transports.sftp import SftpTransport
from transports.sftp_config import SftpConfig

ISA = b"ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *240101*1200*U*00401*000000001*0*P*>~"


def make_config(server: SshServer, tmp_path: Path, key: KeyPair, **overrides: object) -> SftpConfig:
    for folder in ("in", "out", "done"):
        (tmp_path / folder).mkdir(exist_ok=True)
    values: dict[str, object] = {
        "host": "127.0.0.1", "port": server.port, "username": "root", "private_key_file": key.private,
        "known_hosts_file": server.known_hosts(tmp_path / "known_hosts"), "inbox_dir": str(tmp_path / "in"),
        "outbox_dir": str(tmp_path / "out"), "settle_seconds": 0,
    }
    values.update(overrides)
    return SftpConfig.model_validate(values)


@pytest.fixture
def config(sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys) -> SftpConfig:
    return make_config(sshd, tmp_path, ssh_keys.client)


@pytest.fixture
def sftp(config: SftpConfig) -> Iterator[SftpTransport]:
    with SftpTransport(config, "acme-sftp") as transport:
        yield transport


def refused(config: SftpConfig) -> TransportError:
    with pytest.raises(TransportError) as info:
        SftpTransport(config, "acme-sftp").connect()
    return info.value


def fingerprint(key: KeyPair) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", f"{key.private}.pub"], check=True, capture_output=True, text=True)
    return out.stdout.split()[1]  # "256 SHA256:... comment (ED25519)"


# -- inbound -----------------------------------------------------------------------------------------------------
def test_poll_fetch_and_acknowledge_by_delete(sftp: SftpTransport, tmp_path: Path) -> None:
    (tmp_path / "in" / "po1.x12").write_bytes(ISA)
    assert sftp.list_ready() == [], "the first look only records size and mtime"
    [remote] = sftp.list_ready()
    assert (remote.name, remote.size, remote.path) == ("po1.x12", len(ISA), str(tmp_path / "in" / "po1.x12"))
    received = sftp.fetch(remote)
    assert received.data == ISA and received.sha256 == hashlib.sha256(ISA).hexdigest()
    assert (tmp_path / "in" / "po1.x12").exists(), "fetching never removes: only acknowledge does"
    sftp.acknowledge(remote)
    assert list((tmp_path / "in").iterdir()) == []
    sftp.acknowledge(remote)  # repeated after a crash: already gone counts as done
    assert sftp.list_ready() == []


def test_acknowledge_moves_to_processed_without_overwriting_an_archived_namesake(
        sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys) -> None:
    config = make_config(sshd, tmp_path, ssh_keys.client, processed_dir=str(tmp_path / "done"))
    (tmp_path / "done" / "po1.x12").write_bytes(b"older po1")
    (tmp_path / "in" / "po1.x12").write_bytes(ISA)
    with SftpTransport(config, "acme-sftp") as sftp:
        sftp.list_ready()
        [remote] = sftp.list_ready()
        sftp.acknowledge(remote)
    assert list((tmp_path / "in").iterdir()) == []
    archived = {p.name: p.read_bytes() for p in (tmp_path / "done").iterdir()}
    assert archived.pop("po1.x12") == b"older po1"
    [(name, data)] = archived.items()
    assert name.startswith("po1.x12.") and data == ISA


def test_include_patterns_temp_names_folders_and_links_are_filtered(
        sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys) -> None:
    config = make_config(sshd, tmp_path, ssh_keys.client, include=("*.x12", "*.edi"))
    inbox = tmp_path / "in"
    for name in ("po1.x12", "PO2.X12", "po3.edi", "notes.txt", "po4.x12.part", ".po5.x12.part", "po6.x12.filepart",
                 "po7.tmp", ".hidden.x12"):
        (inbox / name).write_bytes(ISA)
    (inbox / "folder.x12").mkdir()
    (inbox / "link.x12").symlink_to(inbox / "po1.x12")
    with SftpTransport(config, "acme-sftp") as sftp:
        sftp.list_ready()
        assert [f.name for f in sftp.list_ready()] == ["PO2.X12", "po1.x12", "po3.edi"]


def test_a_file_growing_between_two_looks_is_not_picked_up(sftp: SftpTransport, tmp_path: Path) -> None:
    path = tmp_path / "in" / "big.x12"
    path.write_bytes(ISA[:40])
    assert sftp.list_ready() == []
    with open(path, "ab") as fh:
        fh.write(ISA[40:])
    assert sftp.list_ready() == [], "size changed since the previous look"
    assert [f.name for f in sftp.list_ready()] == ["big.x12"]


def test_the_second_look_must_come_settle_seconds_later(sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys) -> None:
    now = [1000.0]
    config = make_config(sshd, tmp_path, ssh_keys.client, settle_seconds=30)
    (tmp_path / "in" / "po.x12").write_bytes(ISA)
    with SftpTransport(config, "acme-sftp", clock=lambda: now[0]) as sftp:
        assert sftp.list_ready() == []
        now[0] += 29
        assert sftp.list_ready() == [], "unchanged, but not for long enough"
        now[0] += 1
        assert [f.name for f in sftp.list_ready()] == ["po.x12"]


def test_a_file_changed_after_listing_is_refused_and_must_settle_again(sftp: SftpTransport, tmp_path: Path) -> None:
    path = tmp_path / "in" / "po.x12"
    path.write_bytes(ISA)
    sftp.list_ready()
    [remote] = sftp.list_ready()
    path.write_bytes(ISA + ISA)
    with pytest.raises(TransportError) as info:
        sftp.fetch(remote)
    assert info.value.code == "SFTP_REMOTE_CHANGED" and info.value.retryable
    assert sftp.list_ready() == []
    assert [f.size for f in sftp.list_ready()] == [2 * len(ISA)]


def test_oversize_is_refused_without_reading_it(sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys) -> None:
    config = make_config(sshd, tmp_path, ssh_keys.client, max_file_bytes=1000)
    (tmp_path / "in" / "huge.x12").write_bytes(b"x" * 5000)
    (tmp_path / "in" / "grows.x12").write_bytes(b"x" * 900)
    read: list[int] = []
    with SftpTransport(config, "acme-sftp") as sftp:
        sftp.list_ready()
        grows, huge = sftp.list_ready()
        (tmp_path / "in" / "grows.x12").write_bytes(b"x" * 5000)  # after it settled: the open handle's size counts
        for remote in (huge, grows):
            with pytest.raises(TransportError) as info:
                sftp.fetch_to(remote, tmp_path, progress=read.append)
            assert info.value.code == "FILE_TOO_LARGE" and not info.value.retryable
            assert "1000" in info.value.message
    assert read == [], "not a byte was read"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["known_hosts"]


def test_fetch_to_streams_into_a_folder_and_never_replaces_a_waiting_file(sftp: SftpTransport, tmp_path: Path) -> None:
    (tmp_path / "in" / "po.x12").write_bytes(ISA)
    spool = tmp_path / "spool"
    spool.mkdir()
    sftp.list_ready()
    [remote] = sftp.list_ready()
    got = sftp.fetch_to(remote, spool)
    assert Path(got.local_path).read_bytes() == ISA and got.sha256 == hashlib.sha256(ISA).hexdigest()
    with pytest.raises(TransportError) as info:
        sftp.fetch_to(remote, spool)
    assert info.value.code == "LOCAL_FILE_EXISTS" and info.value.retryable
    assert [p.name for p in spool.iterdir()] == ["po.x12"], "no temporary left behind"


# -- outbound ----------------------------------------------------------------------------------------------------
def test_upload_goes_through_a_temp_name_and_replaces_an_existing_file(sftp: SftpTransport, tmp_path: Path) -> None:
    outbox = tmp_path / "out"
    (outbox / "997.x12").write_bytes(b"old ack")
    data = ISA * 2000  # several write requests
    during: list[tuple[bool, bytes]] = []

    def look(_sent: int) -> None:
        if not during:
            during.append(((outbox / ".997.x12.part").exists(), (outbox / "997.x12").read_bytes()))

    receipt = sftp.send("997.x12", data, progress=look)
    assert during == [(True, b"old ack")], "while uploading, the partner sees only the temp name and the old file"
    assert (outbox / "997.x12").read_bytes() == data
    assert [p.name for p in outbox.iterdir()] == ["997.x12"]
    assert (receipt.name, receipt.size, receipt.path) == ("997.x12", len(data), str(outbox / "997.x12"))
    assert receipt.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name", ["../evil.x12", "a/b.x12", "/etc/evil.x12", "..", "x\x00y.x12", "bad\nname.x12",
                                  "back\\slash.x12", ""])
def test_unsafe_names_are_refused_and_nothing_is_written(sftp: SftpTransport, tmp_path: Path, name: str) -> None:
    before = sorted(p.relative_to(tmp_path.parent) for p in tmp_path.parent.rglob("*"))
    with pytest.raises(TransportError) as info:
        sftp.send(name, ISA)
    assert info.value.code == "SFTP_PATH_UNSAFE" and not info.value.retryable
    remote = RemoteFile(name, len(ISA), 0, str(tmp_path / "in" / name))
    for fetch in (sftp.fetch, sftp.acknowledge, lambda r: sftp.fetch_to(r, tmp_path)):
        with pytest.raises(TransportError, match="SFTP_PATH_UNSAFE"):
            fetch(remote)
    assert sorted(p.relative_to(tmp_path.parent) for p in tmp_path.parent.rglob("*")) == before


def test_a_remote_path_outside_the_inbox_is_refused(sftp: SftpTransport, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"do not read")
    with pytest.raises(TransportError) as info:
        sftp.fetch(RemoteFile("secret.txt", 11, 0, str(secret)))
    assert info.value.code == "SFTP_PATH_UNSAFE"


# -- connection failures -----------------------------------------------------------------------------------------
def test_unknown_host_is_refused_naming_host_port_and_fingerprint(config: SftpConfig, ssh_keys: SshKeys) -> None:
    config.known_hosts_file.write_text("")
    error = refused(config)
    assert error.code == "SFTP_HOSTKEY_UNKNOWN" and not error.retryable
    assert f"127.0.0.1:{config.port}" in error.message and fingerprint(ssh_keys.host) in error.message


def test_changed_host_key_is_refused(sshd: SshServer, config: SftpConfig, ssh_keys: SshKeys) -> None:
    sshd.known_hosts(config.known_hosts_file, ssh_keys.other_host)
    error = refused(config)
    assert error.code == "SFTP_HOSTKEY_CHANGED" and not error.retryable
    assert fingerprint(ssh_keys.host) in error.message and fingerprint(ssh_keys.other_host) in error.message


def test_a_key_for_another_port_does_not_count(sshd: SshServer, config: SftpConfig, ssh_keys: SshKeys) -> None:
    config.known_hosts_file.write_text(f"127.0.0.1 {ssh_keys.host.public_line}\n")  # port 22's entry
    assert refused(config).code == "SFTP_HOSTKEY_UNKNOWN"


def test_wrong_private_key_is_refused(sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys) -> None:
    error = refused(make_config(sshd, tmp_path, ssh_keys.stranger))
    assert error.code == "SFTP_AUTH_FAILED" and not error.retryable
    assert fingerprint(ssh_keys.stranger) in error.message


@pytest.mark.parametrize("which", ["rsa", "ecdsa", "encrypted"])
def test_rsa_ecdsa_and_passphrase_keys_log_in(sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys,
                                              monkeypatch: pytest.MonkeyPatch, which: str) -> None:
    monkeypatch.setenv("ACME_KEY_PASSPHRASE", "s3cret pass")
    passphrase_env = "ACME_KEY_PASSPHRASE" if which == "encrypted" else None
    config = make_config(sshd, tmp_path, getattr(ssh_keys, which), passphrase_env=passphrase_env)
    (tmp_path / "in" / "po.x12").write_bytes(ISA)
    with SftpTransport(config, "acme-sftp") as sftp:
        sftp.list_ready()
        assert [sftp.fetch(r).data for r in sftp.list_ready()] == [ISA]


@pytest.mark.parametrize(("env_name", "passphrase", "hint"), [
    (None, None, "encrypted"), ("ACME_KEY_PASSPHRASE", None, "ACME_KEY_PASSPHRASE"),
    ("ACME_KEY_PASSPHRASE", "wrong-guess", "does not decrypt")])
def test_encrypted_key_without_the_right_passphrase(
        sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys, monkeypatch: pytest.MonkeyPatch,
        env_name: str | None, passphrase: str | None, hint: str) -> None:
    monkeypatch.delenv("ACME_KEY_PASSPHRASE", raising=False)
    if passphrase is not None:
        monkeypatch.setenv("ACME_KEY_PASSPHRASE", passphrase)
    error = refused(make_config(sshd, tmp_path, ssh_keys.encrypted, passphrase_env=env_name))
    assert error.code == "SFTP_KEY_UNREADABLE" and not error.retryable
    assert hint in error.message
    assert "wrong-guess" not in error.message, "the secret never appears in a message"


def test_nothing_listening_is_a_retryable_connect_failure(sshd: SshServer, config: SftpConfig) -> None:
    sshd.kill()
    error = refused(config)
    assert error.code == "SFTP_CONNECT_FAILED" and error.retryable


def test_missing_inbox_and_use_before_connect(sshd: SshServer, tmp_path: Path, ssh_keys: SshKeys) -> None:
    config = make_config(sshd, tmp_path, ssh_keys.client, inbox_dir=str(tmp_path / "nope"))
    transport = SftpTransport(config, "acme-sftp")
    with pytest.raises(TransportError, match="TRANSPORT_NOT_CONNECTED"):
        transport.list_ready()
    with transport, pytest.raises(TransportError) as info:
        transport.list_ready()
    assert info.value.code == "SFTP_REMOTE_MISSING" and not info.value.retryable


def killer(server: SshServer) -> Callable[[int], None]:
    def kill_once(_done: int) -> None:
        if server.process.poll() is None:
            server.kill()

    return kill_once


def test_connection_drop_mid_fetch_is_retryable_and_leaves_no_partial_file(
        sshd: SshServer, sftp: SftpTransport, tmp_path: Path) -> None:
    (tmp_path / "in" / "big.x12").write_bytes(os.urandom(1024 * 1024))
    spool = tmp_path / "spool"
    spool.mkdir()
    sftp.list_ready()
    [remote] = sftp.list_ready()
    with pytest.raises(TransportError) as info:
        sftp.fetch_to(remote, spool, progress=killer(sshd))
    assert info.value.code == "SFTP_CONNECTION_LOST" and info.value.retryable
    assert list(spool.iterdir()) == []
    with pytest.raises(TransportError) as again:
        sftp.list_ready()
    assert again.value.code == "SFTP_CONNECTION_LOST"


def test_connection_drop_mid_upload_is_retryable_and_publishes_nothing(
        sshd: SshServer, sftp: SftpTransport, tmp_path: Path) -> None:
    with pytest.raises(TransportError) as info:
        sftp.send("big.x12", os.urandom(1024 * 1024), progress=killer(sshd))
    assert info.value.code == "SFTP_CONNECTION_LOST" and info.value.retryable
    assert not (tmp_path / "out" / "big.x12").exists()


# -- contract helpers --------------------------------------------------------------------------------------------
def test_sftp_transport_keeps_the_transport_contract(config: SftpConfig) -> None:
    assert isinstance(SftpTransport(config, "acme-sftp"), Transport)


def test_settle_tracker_forgets_files_that_disappear() -> None:
    now = [0.0]
    tracker = SettleTracker(0, lambda: now[0])
    assert tracker.ready({"a": (1, 1), "b": (1, 1)}) == []
    assert tracker.ready({"a": (1, 1)}) == ["a"]
    assert tracker.ready({"a": (1, 1), "b": (1, 1)}) == ["a"], "b came back: it must settle again"


def test_check_name_and_failed_attempt_record() -> None:
    assert check_name("PO 1 (copy).x12") == "PO 1 (copy).x12"
    error = TransportError("SFTP_CONNECTION_LOST", "gone")
    attempt = TransferAttempt.failed("acme-sftp", "inbound", "po.x12", datetime.now(UTC), 12, error)
    assert (attempt.result, attempt.error_code, attempt.retryable) == ("failed", "SFTP_CONNECTION_LOST", True)
