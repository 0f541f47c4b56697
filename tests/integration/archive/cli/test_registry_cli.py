"""`aidrec admin …` from the console: every registry change is an access-log entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from archive.audit import log as audit
from archive.audit.seal import verify_log
from archive.cli import registry
from archive.services import Archive
from archive.settings import to_toml


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_console_changes_are_logged_and_no_verb_issues_a_persons_token(
        archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aidrec.toml"
    config.write_text(to_toml(archive.settings))
    monkeypatch.setenv("AIDREC_CONFIG", str(config))
    root = typer.Typer()
    registry.register(root)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(root, ["admin", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("add-jurisdiction", "p1", "省", "province")
    run("add-jurisdiction", "f1", "州", "prefecture", "--parent", "p1")
    run("add-jurisdiction", "c1", "县", "county", "--parent", "f1")
    run("add-window", "w1", "窗口", "c1")
    first = run("add-device", "d1", "rec", "c1").strip()
    second = run("rotate-device", "d1").strip()
    assert first != second and len(second) > 20
    run("revoke-device", "d1")
    run("add-user", "u1", "名", "supervisor", "c1")
    refused = runner.invoke(root, ["admin", "add-token", "u1"])
    assert refused.exit_code == 2 and "No such command 'add-token'" in refused.output

    with archive.catalog.read() as db:
        entries = list(db.scalars(select(audit.AccessEntry).order_by(audit.AccessEntry.seq)))
    changes = [(e.action, e.role, e.target_type, e.target_id, e.detail["change"])
               for e in entries]
    assert changes == [
        ("admin", "operator", "jurisdiction", "p1", "created"),
        ("admin", "operator", "jurisdiction", "f1", "created"),
        ("admin", "operator", "jurisdiction", "c1", "created"),
        ("admin", "operator", "window", "w1", "created"),
        ("admin", "operator", "device", "d1", "created"),
        ("admin", "operator", "device", "d1", "token_rotated"),
        ("admin", "operator", "device", "d1", "revoked"),
        ("admin", "operator", "user", "u1", "created"),
    ]
    assert all(e.detail["actor"].startswith("operator:") for e in entries)
    # The entries are in the hash chain like every other.
    chain = verify_log(archive)
    assert chain.ok, chain.to_json()
