"""Opening an SFTP session: pinned host key, key-only authentication, every failure coded.

paramiko's ``SSHClient`` is not used: its host-key policies make trust-on-first-use
easy to switch on by accident. Here the server key is compared with the pinned
known_hosts entries by hand, before any credential is sent, and the refusal names
``host:port`` and the SHA256 fingerprint the way ``ssh`` prints them.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import paramiko

from transports.base import TransportError
from transports.sftp_config import SftpConfig

# paramiko names RSA keys "ssh-rsa"; the SHA-2 signature algorithms negotiate the same key.
_RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


@dataclass(slots=True)
class Session:
    transport: paramiko.Transport
    sftp: paramiko.SFTPClient

    def alive(self) -> bool:
        return self.transport.is_active() and not self.sftp.get_channel().closed

    def close(self) -> None:
        self.sftp.close()
        self.transport.close()


def known_hosts_name(host: str, port: int) -> str:
    """The name OpenSSH writes into known_hosts for ``host:port``."""
    return host if port == 22 else f"[{host}]:{port}"


def load_private_key(config: SftpConfig) -> paramiko.PKey:
    passphrase = config.passphrase()
    try:
        return paramiko.PKey.from_path(config.private_key_file, None if passphrase is None else passphrase.encode())
    except FileNotFoundError as exc:
        raise TransportError("SFTP_KEY_UNREADABLE", f"private key file {config.private_key_file} does not exist") \
            from exc
    except (paramiko.SSHException, OSError, ValueError, TypeError) as exc:
        # cryptography signals a wrong passphrase with ValueError, a missing or superfluous one with TypeError
        raise TransportError("SFTP_KEY_UNREADABLE", _key_problem(config, exc)) from exc


def _key_problem(config: SftpConfig, exc: Exception) -> str:
    """Say what is wrong with the key in operator terms (the library's wording is about PEM internals)."""
    path, text = config.private_key_file, str(exc)
    if "password-protected" in text:
        return f"private key {path} is encrypted; set passphrase_env to the variable that holds its passphrase"
    if "not encrypted" in text:
        return f"private key {path} is not encrypted, but passphrase_env {config.passphrase_env} is set; remove it"
    try:
        openssh_format = path.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    except OSError:
        openssh_format = False
    if openssh_format and config.passphrase_env is not None and isinstance(exc, ValueError):
        return f"the passphrase in ${config.passphrase_env} does not decrypt private key {path} (or the key is damaged)"
    return f"cannot load private key {path}: {text}"


def _pinned_keys(config: SftpConfig) -> dict[str, paramiko.PKey]:
    hosts = paramiko.HostKeys()
    try:
        hosts.load(str(config.known_hosts_file))
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise TransportError("SFTP_KNOWN_HOSTS_UNREADABLE",
                             f"cannot read known_hosts file {config.known_hosts_file}: {exc}") from exc
    entry = hosts.lookup(known_hosts_name(config.host, config.port))
    return dict(entry) if entry is not None else {}


def _prefer_pinned_types(transport: paramiko.Transport, pinned: dict[str, paramiko.PKey]) -> None:
    """Ask the server for a host key type we have pinned, as ssh does (else a second key type looks 'unknown')."""
    wanted: list[str] = []
    for key_type in pinned:
        wanted.extend(_RSA_ALGORITHMS if key_type == "ssh-rsa" else (key_type,))
    options = transport.get_security_options()
    offered = list(options.key_types)
    first = [t for t in wanted if t in offered]
    options.key_types = first + [t for t in offered if t not in first]


def check_host_key(config: SftpConfig, pinned: dict[str, paramiko.PKey], server_key: paramiko.PKey) -> None:
    """Refuse a server whose key is not the pinned one (unknown host, or changed key)."""
    presented = f"{server_key.get_name()} key {server_key.fingerprint}"
    if not pinned:
        raise TransportError("SFTP_HOSTKEY_UNKNOWN",
                             f"host {config.endpoint} is not in {config.known_hosts_file}; it presented {presented}. "
                             "Verify the fingerprint with the partner, then add the key to the known_hosts file")
    expected = pinned.get(server_key.get_name())
    if expected is None or expected != server_key:
        pinned_list = ", ".join(f"{k.get_name()} {k.fingerprint}" for k in pinned.values())
        raise TransportError("SFTP_HOSTKEY_CHANGED",
                             f"host key of {config.endpoint} changed: it presented {presented}, but "
                             f"{config.known_hosts_file} pins {pinned_list}. Refusing to connect (possible "
                             "man-in-the-middle); update known_hosts only after the partner confirms a key change")


def _authenticate(config: SftpConfig, transport: paramiko.Transport, key: paramiko.PKey) -> None:
    try:
        transport.auth_publickey(config.username, key)
    except paramiko.BadAuthenticationType as exc:
        raise TransportError("SFTP_AUTH_FAILED", f"{config.endpoint} does not accept public-key login for "
                             f"{config.username} (it allows: {', '.join(exc.allowed_types) or 'nothing'})") from exc
    except paramiko.AuthenticationException as exc:
        raise TransportError("SFTP_AUTH_FAILED", f"{config.endpoint} refused the {key.get_name()} key "
                             f"{key.fingerprint} for user {config.username}") from exc


def open_session(config: SftpConfig) -> Session:
    """Connect, verify the host key, log in with the private key, start SFTP; a coded error otherwise."""
    key = load_private_key(config)
    pinned = _pinned_keys(config)
    try:
        sock = socket.create_connection((config.host, config.port), timeout=config.connect_timeout)
    except OSError as exc:  # refused, unreachable, DNS, timeout
        raise TransportError("SFTP_CONNECT_FAILED", f"cannot connect to {config.endpoint}: {exc}") from exc
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = config.connect_timeout
        transport.auth_timeout = config.connect_timeout
        transport.handshake_timeout = config.connect_timeout
        _prefer_pinned_types(transport, pinned)
        try:
            transport.start_client(timeout=config.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise TransportError("SFTP_CONNECT_FAILED",
                                 f"SSH handshake with {config.endpoint} failed: {exc or type(exc).__name__}") from exc
        check_host_key(config, pinned, transport.get_remote_server_key())
        with remote_errors(config.endpoint, "login", None):
            _authenticate(config, transport, key)
            sftp = paramiko.SFTPClient.from_transport(transport)
        if sftp is None:
            raise TransportError("SFTP_CONNECT_FAILED", f"{config.endpoint} refused to open an SFTP channel")
        sftp.get_channel().settimeout(config.operation_timeout)
    except BaseException:
        transport.close()
        raise
    return Session(transport, sftp)


@contextmanager
def remote_errors(endpoint: str, what: str, session: Session | None) -> Iterator[None]:
    """Turn paramiko/socket exceptions raised while doing ``what`` into coded, retry-classified errors."""
    try:
        yield
    except TransportError:
        raise
    except TimeoutError as exc:
        raise TransportError("SFTP_TIMEOUT", f"{endpoint}: no answer while {what}") from exc
    except (paramiko.SSHException, EOFError, ConnectionError) as exc:
        raise TransportError("SFTP_CONNECTION_LOST", f"{endpoint}: connection lost while {what}: "
                             f"{exc or type(exc).__name__}") from exc
    except FileNotFoundError as exc:
        raise TransportError("SFTP_REMOTE_MISSING", f"{endpoint}: no such file or folder while {what}") from exc
    except PermissionError as exc:
        raise TransportError("SFTP_PERMISSION_DENIED", f"{endpoint}: permission denied while {what}") from exc
    except OSError as exc:
        if session is not None and not session.alive():
            raise TransportError("SFTP_CONNECTION_LOST", f"{endpoint}: connection lost while {what}") from exc
        raise TransportError("SFTP_REMOTE_ERROR", f"{endpoint}: server failure while {what}: {exc}") from exc
