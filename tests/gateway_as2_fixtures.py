"""Gateway working directories with an ``as2:`` section, and ``edipulse run`` as a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import yaml
from as2_fixtures import Identity, free_port
from sqlalchemy import select
from sqlmodel import Session

from gateway.as2.models import As2Message
from gateway.cli.main import main
from gateway.context import Context
from gateway.ledger.models import Message
from gateway.settings import load_settings

EDIPULSE = Path(sys.executable).with_name("edipulse")
RowT = TypeVar("RowT", Message, As2Message)
WAIT_SECONDS = 60.0  # a generous ceiling for background work; never a measured expectation


def cli(*args: object) -> int:
    """Run the command line in this process (setup and inspection commands)."""
    return main([str(a) for a in args])


@dataclass
class Site:
    """One gateway working directory: its config, identity and port."""

    root: Path
    x12_id: str
    as2_id: str
    identity: Identity
    port: int

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_as2(self, partners: list[dict[str, object]], **extra: object) -> None:
        """Write the as2: section (and fast polling) into config.yaml."""
        data = yaml.safe_load(self.config.read_text())
        data["run"] = {"poll_seconds": 0.1, "settle_seconds": 0}
        data["as2"] = {"as2_id": self.as2_id, "public_url": self.url,
                       "keys": [{"key": str(self.identity.key_path), "cert": str(self.identity.cert_path)}],
                       "listen": {"host": "127.0.0.1", "port": self.port}, "partners": partners, **extra}
        self.config.write_text(yaml.safe_dump(data, sort_keys=False))

    def context(self) -> Context:
        return Context.open(load_settings(self.config))

    def messages(self, **where: object) -> list[Message]:
        return self._rows(Message, where)

    def as2_rows(self, **where: object) -> list[As2Message]:
        return self._rows(As2Message, where)

    def _rows(self, model: type[RowT], where: dict[str, object]) -> list[RowT]:
        """Rows of ``model`` whose columns equal ``where`` (column name -> value), in id order."""
        ctx = self.context()
        try:
            with Session(ctx.engine) as session:
                query = select(model).order_by(model.id)
                for name, value in where.items():
                    query = query.where(getattr(model, name) == value)
                return list(session.execute(query).scalars())
        finally:
            ctx.close()


def make_site(root: Path, x12_id: str, as2_id: str, identity: Identity, partners: dict[str, str]) -> Site:
    """``edipulse init`` + ERP partners (id -> QUAL:ID)."""
    assert cli("init", root, "--x12-id", x12_id) == 0
    for partner_id, partner_x12 in partners.items():
        assert cli("--config", root / "config.yaml", "partners", "add", partner_id, "--x12", partner_x12) == 0
    return Site(root, x12_id, as2_id, identity, free_port())


def partner_entry(partner: str, as2_id: str, identity: Identity, url: str | None, **settings: object) -> dict:
    return {"partner": partner, "as2_id": as2_id, "certificates": [str(identity.cert_path)], "url": url, **settings}


@contextmanager
def running(site: Site) -> Iterator[subprocess.Popen[str]]:
    """``edipulse run`` in a subprocess until /healthz answers; SIGTERM on exit must end it with 0."""
    if not EDIPULSE.exists():
        pytest.skip("edipulse console script not installed next to this interpreter")
    env = {**os.environ, "EDIPULSE_CONFIG": str(site.config)}
    process = subprocess.Popen([str(EDIPULSE), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        wait_for(lambda: _healthy(site) or process.poll() is not None, "the gateway's /healthz")
        assert process.poll() is None, process.communicate()[1]
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, err
    assert "Traceback" not in err, err


def _healthy(site: Site) -> bool:
    try:
        return httpx.get(site.url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after the ceiling."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)
