"""Throw-away PKI, partnerships and a loopback uvicorn server for the AS2 tests."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from transports.as2.cms import KeyPair
from transports.as2.config import Partnership
from transports.as2.receiver import ReceivedMeta


@dataclass(frozen=True)
class Identity:
    """A key pair with its PEM files on disk (for openssl) and loaded (for us)."""

    name: str
    pair: KeyPair
    key_path: Path
    cert_path: Path


def make_identity(folder: Path, name: str, *, days: int = 365, key_size: int = 2048) -> Identity:
    """A self-signed RSA certificate valid from yesterday for ``days`` days."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / f"{name}.key.pem", folder / f"{name}.cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Identity(name, KeyPair(key, cert), key_path, cert_path)


def partnership(us: Identity, them: Identity, local_id: str, partner_id: str, **settings: object) -> Partnership:
    return Partnership(local_id=local_id, partner_id=partner_id, our_keys=(us.pair,),
                       partner_certs=(them.pair.cert,), **settings)  # type: ignore[arg-type]


@dataclass
class Inbox:
    """The gateway side of a receiver: partnerships, a ledger of Message-IDs and a durable store."""

    folder: Path
    partnerships: dict[tuple[str, str], Partnership] = field(default_factory=dict)
    received: list[tuple[bytes, ReceivedMeta]] = field(default_factory=list)
    fail_delivery: bool = False

    def add(self, item: Partnership) -> None:
        self.partnerships[(item.partner_id, item.local_id)] = item

    def replace(self, partner_id: str, local_id: str, **changes: object) -> None:
        key = (partner_id, local_id)
        self.partnerships[key] = replace(self.partnerships[key], **changes)  # type: ignore[arg-type]

    def lookup(self, as2_from: str, as2_to: str) -> Partnership | None:
        return self.partnerships.get((as2_from, as2_to))

    def is_duplicate(self, partner_id: str, message_id: str) -> bool:
        return any(meta.as2_from == partner_id and meta.message_id == message_id for _, meta in self.received)

    def deliver(self, payload: bytes, meta: ReceivedMeta) -> None:
        if self.fail_delivery:
            raise OSError("disk full")
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{len(self.received):04d}.bin"
        with open(target, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        self.received.append((payload, meta))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: object) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a thread; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.01)
    if not server.started:
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
