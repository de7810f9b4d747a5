"""The command line as a user meets it: dry-run translate, configuration errors, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support import DATA, CliResult, Workdir

from gateway.settings import default_config_text

PO_4010 = DATA / "gateway" / "acme-850-4010.x12"


def test_translate_without_any_configuration_writes_nothing(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDIPULSE_CONFIG", raising=False)
    result = cli("translate", PO_4010, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["errors"] == []
    first, second = report["documents"]
    assert first["type"] == "purchase_order" and first["partner"] is None
    assert first["po_number"] == "4500012345" and first["order_date"] == "2026-11-20"
    assert first["ship_to"]["city"] == "SAN DIEGO" and first["bill_to"]["postal_code"] == "55440"
    line = first["lines"][2]
    assert line["quantity"] == "75.5" and line["unit_price"] == "112.00" and line["gtin"] == "00812345000030"
    assert first["envelope"]["interchange_control_number"] == "000000101"
    assert second["po_number"] == "4500012346"
    assert list(tmp_path.iterdir()) == [], "a dry run must not create files"


def test_translate_uses_partner_from_the_database(workdir: Workdir) -> None:
    result = workdir.run("translate", PO_4010, "--json")
    assert result.code == 0, result.err
    assert {d["partner"] for d in json.loads(result.out)["documents"]} == {"acme"}
    assert workdir.run("orders", "--json").out.strip() == "[]", "translate books nothing"


def test_translate_explain_names_mapping_file_and_rule(workdir: Workdir) -> None:
    result = workdir.run("translate", PO_4010, "--json", "--explain")
    assert result.code == 0, result.err
    explain = json.loads(result.out)["explain"][0]
    assert any(f.endswith("default/850.yaml") for f in explain["mapping_files"])
    fields = {f["field"]: f for f in explain["fields"]}
    assert "po_number" in fields and fields["po_number"]["value"] == "4500012345"


def test_translate_bad_file_gives_coded_errors_and_exit_1(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    bad = tmp_path / "bad.x12"
    bad.write_text(PO_4010.read_text().replace("GE*2*101", "GE*3*101"))
    result = cli("translate", bad, "--json")
    assert result.code == 1
    codes = [e["code"] for e in json.loads(result.out)["errors"]]
    assert codes == ["GE_COUNT_MISMATCH"]
    assert result.err.startswith("error: GE_COUNT_MISMATCH")


def test_missing_file_is_exit_4(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = cli("translate", tmp_path / "nope.x12")
    assert result.code == 4 and "no such file" in result.err


@pytest.mark.parametrize(("text", "expected"), [
    ("gateway:\n  x12_id: ZZ:US\nbogus: 1\n", "bogus: Extra inputs are not permitted"),
    ("gateway:\n  x12_id: nonsense\n", "gateway.x12_id"),
    ("gateway: [unclosed\n", "not valid YAML"),
    ("database:\n  url: sqlite:///x.db\n", "gateway: Field required"),
    ("gateway:\n  x12_id: ZZ:US\ndatabase:\n  url: postgresql://u:secret@h/db\n", "must not carry a password"),
])
def test_config_errors_are_precise_and_exit_3(cli: Callable[..., CliResult], tmp_path: Path, text: str,
                                              expected: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    result = cli("--config", config, "orders")
    assert result.code == 3
    assert expected in result.err and str(config) in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_config_from_environment_variable(cli: Callable[..., CliResult], workdir: Workdir,
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EDIPULSE_CONFIG", str(workdir.config))
    result = cli("partners", "--json")
    assert result.code == 0, result.err
    assert [p["id"] for p in json.loads(result.out)] == ["acme"]


def test_partner_with_bad_x12_id_is_a_usage_error(workdir: Workdir) -> None:
    result = workdir.run("partners", "add", "beta", "--x12", "ACME")
    assert result.code == 2 and "QUAL:ID" in result.err


def test_duplicate_partner_is_refused(workdir: Workdir) -> None:
    result = workdir.run("partners", "add", "acme2", "--x12", "ZZ:ACMEMED")
    assert result.code != 0 and "Traceback" not in result.err
    assert "ZZ:ACMEMED" in result.err


def test_console_script_runs_the_gateway_once(tmp_path: Path) -> None:
    """The installed `edipulse` entry point, as a separate process, on a fresh directory."""
    exe = Path(sys.executable).with_name("edipulse")
    if not exe.exists():
        pytest.skip("edipulse console script not installed next to this interpreter")
    env = {**os.environ, "EDIPULSE_CONFIG": ""}
    root = tmp_path / "site"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], cwd=root if root.exists() else tmp_path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)

    assert run("init", str(root), "--x12-id", "ZZ:EDIPULSE").returncode == 0
    assert run("partners", "add", "acme", "--x12", "ZZ:ACMEMED").returncode == 0
    (root / "inbox" / "po.x12").write_bytes(PO_4010.read_bytes())
    done = run("run", "--once")
    assert done.returncode == 0, done.stderr
    assert list((root / "outbox" / "acme").glob("997-*.x12"))
    listed = json.loads(run("orders", "--json").stdout)
    assert sorted(o["po_number"] for o in listed) == ["4500012345", "4500012346"]


def test_run_keeps_polling_until_sigterm(tmp_path: Path) -> None:
    """`edipulse run` without --once: picks up a file dropped while it runs, stops cleanly on SIGTERM."""
    exe = Path(sys.executable).with_name("edipulse")
    if not exe.exists():
        pytest.skip("edipulse console script not installed next to this interpreter")
    root = tmp_path / "site"
    env = {**os.environ, "EDIPULSE_CONFIG": str(root / "config.yaml")}
    subprocess.run([str(exe), "init", str(root)], env=env, check=True, capture_output=True, timeout=120)
    config = root / "config.yaml"
    config.write_text(config.read_text().replace("poll_seconds: 5", "poll_seconds: 0.2")
                      .replace("settle_seconds: 1", "settle_seconds: 0.1"))
    subprocess.run([str(exe), "partners", "add", "acme", "--x12", "ZZ:ACMEMED"], env=env, check=True,
                   capture_output=True, timeout=120)
    gateway = subprocess.Popen([str(exe), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        time.sleep(1.0)
        (root / "inbox" / "late.x12").write_bytes(PO_4010.read_bytes())
        deadline = time.monotonic() + 60
        while not list((root / "outbox").rglob("997-*.x12")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert list((root / "outbox").rglob("997-*.x12")), "the running gateway answered the dropped file"
    finally:
        gateway.send_signal(signal.SIGTERM)
        _out, err = gateway.communicate(timeout=60)
    assert gateway.returncode == 0, err


def test_unknown_status_filter_is_a_usage_error(workdir: Workdir) -> None:
    result = workdir.run("messages", "--status", "bogus")
    assert result.code == 2 and "acknowledged" in result.err
    assert workdir.run("messages", "--kind", "nope").code == 2


def test_shipped_config_is_what_init_writes() -> None:
    """The repository's config.yaml and `edipulse init` share one text, so they cannot drift."""
    shipped = Path(__file__).resolve().parents[1] / "config.yaml"
    assert shipped.read_text() == default_config_text("ZZ:EDIPULSE")


def test_partner_named_by_xml_document_ids(workdir: Workdir) -> None:
    added = workdir.run("partners", "add", "globex", "--doc-id", "NetworkID:AN01000000001", "--doc-id",
                        "0088:5790000435951", "--name", "Globex Medical")
    assert added.code == 0, added.err
    listed = json.loads(workdir.run("partners", "--json").out)
    assert {"id": "globex", "doc_ids": ["0088:5790000435951", "networkid:AN01000000001"]}.items() <= next(
        p for p in listed if p["id"] == "globex").items()
    bad = workdir.run("partners", "add", "initech", "--doc-id", "AN01000000002")
    assert bad.code == 2 and "SCHEME:VALUE" in bad.err
