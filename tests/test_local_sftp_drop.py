"""Local drop: a partner uploads into our own OpenSSH (chrooted internal-sftp user); the local transport picks up.

The fixture sets up what docs/sftp.md tells an operator to do: a system user with no
shell, a root-owned chroot holding a partner-writable ``inbox``, and a ``Match User``
block forcing ``internal-sftp``. The partner side is our own SFTP transport (and raw
paramiko for a sender that writes under the final name).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sshd import SshKeys, SshServer

from transports.base import SettleTracker, TransportError
from transports.local import LocalFolder
from transports.sftp import SftpTransport
from transports.sftp_config import SftpConfig
from transports.sftp_connect import open_session

ISA = b"ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *240101*1200*U*00401*000000001*0*P*>~"


@dataclass(frozen=True, slots=True)
class DropPartner:
    user: str
    inbox: Path  # the partner's /inbox as seen on our side
    server: SshServer


def match_block(user: str, chroot_parent: Path) -> str:
    return f"""Match User {user}
    ChrootDirectory {chroot_parent}/%u
    ForceCommand internal-sftp
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY no
"""


@pytest.fixture
def drop_partner(sshd_factory: Callable[..., SshServer]) -> Iterator[DropPartner]:
    user = f"edip{uuid.uuid4().hex[:8]}"
    base = Path("/srv") / f"edipulse-test-{user}"  # sshd wants a root-owned chroot path, which /tmp is not
    subprocess.run(["useradd", "--no-create-home", "--home-dir", "/", "--shell", "/usr/sbin/nologin", user],
                   check=True, capture_output=True)
    try:
        subprocess.run(["usermod", "-p", "*", user], check=True, capture_output=True)  # unlocked, no password
        chroot = base / "partners" / user
        inbox = chroot / "inbox"
        inbox.mkdir(parents=True)
        for folder in (base, base / "partners", chroot):
            folder.chmod(0o755)  # root-owned and not group/other-writable, or sshd refuses the chroot
        shutil.chown(inbox, user, user)
        inbox.chmod(0o750)
        yield DropPartner(user, inbox, sshd_factory(match_block(user, base / "partners")))
    finally:
        subprocess.run(["userdel", user], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def partner_config(drop: DropPartner, tmp_path: Path, ssh_keys: SshKeys, remote_dir: str = "/inbox") -> SftpConfig:
    return SftpConfig(host="127.0.0.1", port=drop.server.port, username=drop.user,
                      private_key_file=ssh_keys.client.private,
                      known_hosts_file=drop.server.known_hosts(tmp_path / "known_hosts"),
                      inbox_dir=remote_dir, outbox_dir=remote_dir, settle_seconds=0)


def test_partner_upload_into_the_chroot_is_picked_up_only_once_complete(
        drop_partner: DropPartner, tmp_path: Path, ssh_keys: SshKeys) -> None:
    spool = LocalFolder(drop_partner.inbox)
    data = ISA * 3000
    seen_during_upload: list[list[str]] = []

    def look(_sent: int) -> None:
        if not seen_during_upload:
            seen_during_upload.append([e.relative for e in spool.ready(0)])

    with SftpTransport(partner_config(drop_partner, tmp_path, ssh_keys), "partner-side") as partner:
        partner.send("po1.x12", data, progress=look)
    assert seen_during_upload == [[]], "the .po1.x12.part temporary is never offered"
    [entry] = spool.ready(0)
    assert entry.relative == "po1.x12" and entry.path.read_bytes() == data
    assert entry.path.owner() == drop_partner.user, "written by the chrooted partner account"
    claimed = spool.claim(entry, "host:1")
    assert claimed is not None
    spool.remove(claimed)
    assert list(drop_partner.inbox.iterdir()) == []


def test_a_sender_writing_under_the_final_name_waits_for_two_equal_looks(
        drop_partner: DropPartner, tmp_path: Path, ssh_keys: SshKeys) -> None:
    spool = LocalFolder(drop_partner.inbox)
    tracker = SettleTracker(0, time.monotonic)
    session = open_session(partner_config(drop_partner, tmp_path, ssh_keys))
    try:
        with session.sftp.open("/inbox/po2.x12", "wb") as fh:
            fh.write(ISA[:50])
            fh.flush()
            assert spool.settled(tracker) == [], "first look only records"
            fh.write(ISA[50:])
            fh.flush()
            assert spool.settled(tracker) == [], "it grew since the previous look"
        with session.sftp.open("/inbox/po3.x12.filepart", "wb") as fh:  # WinSCP's temporary name
            fh.write(ISA)
        assert [e.relative for e in spool.settled(tracker)] == ["po2.x12"]
        session.sftp.rename("/inbox/po3.x12.filepart", "/inbox/po3.x12")
        assert [e.relative for e in spool.settled(tracker)] == ["po2.x12"], "po3 appeared only now"
        ready = spool.settled(tracker)
    finally:
        session.close()
    assert {e.relative: e.path.read_bytes() for e in ready} == {"po2.x12": ISA, "po3.x12": ISA}


def test_the_partner_is_held_in_its_chroot(drop_partner: DropPartner, tmp_path: Path, ssh_keys: SshKeys) -> None:
    session = open_session(partner_config(drop_partner, tmp_path, ssh_keys))
    try:
        assert session.sftp.listdir("/") == ["inbox"]
    finally:
        session.close()
    with SftpTransport(partner_config(drop_partner, tmp_path, ssh_keys, "/"), "partner-side") as partner:
        with pytest.raises(TransportError) as info:
            partner.send("po.x12", ISA)  # the chroot root belongs to root
        assert info.value.code == "SFTP_PERMISSION_DENIED"
    with SftpTransport(partner_config(drop_partner, tmp_path, ssh_keys, "/etc"), "partner-side") as partner:
        with pytest.raises(TransportError) as info:
            partner.list_ready()
        assert info.value.code == "SFTP_REMOTE_MISSING", "the host's /etc does not exist inside the chroot"
