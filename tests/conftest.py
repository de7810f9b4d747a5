"""Shared fixtures: a scaffolded working directory and an in-process CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import CORPUS, CliResult, Workdir

from gateway.cli.main import main

# The ERP core fixtures (migrated databases per backend, engine, session) for every test module.
pytest_plugins = ["erp_fixtures", "sshd"]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    def run(*args: str) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def workdir(tmp_path: Path, cli: Callable[..., CliResult]) -> Workdir:
    """`edipulse init` + one partner (acme, ZZ:ACMEMED); commands run with --config."""
    root = tmp_path / "gw"
    result = cli("init", root, "--x12-id", "ZZ:EDIPULSE")
    assert result.code == 0, result.err
    config = root / "config.yaml"
    text = config.read_text().replace("settle_seconds: 1", "settle_seconds: 0")
    config.write_text(text)

    def run(*args: str) -> CliResult:
        return cli("--config", config, *args)

    added = run("partners", "add", "acme", "--x12", "ZZ:ACMEMED", "--name", "Acme Medical")
    assert added.code == 0, added.err
    return Workdir(root, run)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present in this checkout")
    return CORPUS
