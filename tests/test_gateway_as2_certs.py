"""`edipulse as2 certs`: certificates of ours and of partners expiring within the window; broken key config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from as2_fixtures import make_identity
from gateway_as2_fixtures import make_site, partner_entry

from gateway.cli import as2_cmds
from gateway.cli.main import _root
from gateway.errors import GatewayError


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """The as2 command group under the real root callback (main.py registers it the same way)."""
    root = typer.Typer()
    root.callback()(_root)
    root.add_typer(as2_cmds.app, name="as2")
    capsys.readouterr()
    try:
        root(args=[str(a) for a in args], prog_name="edipulse", standalone_mode=False)
        code = 0
    except GatewayError as exc:
        code = exc.exit_code
        print(f"error: {exc}")
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_certificates_expiring_within_the_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ours = make_identity(tmp_path / "pki", "pulse", days=20)
    old, new = make_identity(tmp_path / "pki", "acme-old", days=10), make_identity(tmp_path / "pki", "acme-new")
    site = make_site(tmp_path / "gw", "ZZ:EDIPULSE", "PULSE", ours, {"acme": "ZZ:ACMEMED"})
    entry = partner_entry("acme", "ACME", old, None)
    entry["certificates"] = [str(new.cert_path), str(old.cert_path)]  # mid-rotation: new first, old still valid
    site.set_as2([entry])
    code, out, _err = _run(capsys, "--config", site.config, "as2", "certs", "--json")
    assert code == 0
    found = [(w["partner"], w["side"], w["subject"], w["days_left"]) for w in json.loads(out)]
    assert found == [("acme", "theirs", "CN=acme-old", 9), ("(ours)", "ours", "CN=pulse", 19)]
    code, out, _err = _run(capsys, "--config", site.config, "as2", "certs", "--days", "5", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_missing_certificate_file_is_a_configuration_error(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    ours = make_identity(tmp_path / "pki", "pulse")
    site = make_site(tmp_path / "gw", "ZZ:EDIPULSE", "PULSE", ours, {"acme": "ZZ:ACMEMED"})
    entry = partner_entry("acme", "ACME", ours, None)
    entry["certificates"] = ["certs/missing.pem"]
    site.set_as2([entry])
    code, out, _err = _run(capsys, "--config", site.config, "as2", "certs")
    assert code == 3 and "as2 partner acme: AS2_CERT_LOAD" in out and "missing.pem" in out


def test_housekeeping_records_expiring_certificates_in_the_ledger(tmp_path: Path) -> None:
    from sqlmodel import Session

    from gateway.app import Gateway
    from gateway.scheduler.jobs import housekeeping_job
    from gateway.scheduler.models import SchedulerJob
    from gateway.scheduler.runner import GatewayScheduler

    ours = make_identity(tmp_path / "pki", "pulse", days=12)
    site = make_site(tmp_path / "gw", "ZZ:EDIPULSE", "PULSE", ours, {"acme": "ZZ:ACMEMED"})
    site.set_as2([partner_entry("acme", "ACME", make_identity(tmp_path / "pki", "acme"), None)])
    with site.config.open("a") as config:
        config.write("schedule:\n  jobs:\n    - {name: housekeeping, job: housekeeping, cron: '*/15 * * * *'}\n")
    ctx = site.context()
    gateway = Gateway(ctx)
    summary = housekeeping_job(gateway, ctx.settings.schedule.jobs[0])  # type: ignore[union-attr]
    assert "AS2 certificates: ours: CN=pulse expires" in summary
    scheduler = GatewayScheduler(gateway, ctx.settings.schedule)  # type: ignore[arg-type]
    assert scheduler.lease.acquire()
    assert scheduler.run_job("housekeeping").result == "ok"
    with Session(ctx.engine) as session:
        row = session.get(SchedulerJob, "housekeeping")
        assert row is not None and "CN=pulse" in (row.last_detail or "")
    ctx.close()
