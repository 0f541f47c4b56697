"""`aidrec retention …` as an operator runs it, through the entry point's register()."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from archive.services import Archive
from archive.settings import to_toml
from retention.cli import register
from tests.integration.retention.conftest import (
    People,
    make_recording,
    segment_versions,
    wait_until,
)


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_operator_lists_proposes_approves_and_disposes(
        archive: Archive, people: People, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aidrec.toml"
    config.write_text(to_toml(archive.settings))
    monkeypatch.setenv("AIDREC_CONFIG", str(config))
    monkeypatch.setenv("COLUMNS", "250")
    # A one-administrator office: the two-person rule (on by default) is turned off knowingly.
    monkeypatch.setenv("AIDREC_RETENTION__TWO_PERSON_RULE", "false")
    root = typer.Typer()
    register(root)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(root, ["retention", *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    due = make_recording(archive, due_in=8)
    kept = make_recording(archive)
    assert "locks raised" in run("apply")
    run("policy", "set", "case", "--years", "10", "--case-type", "labour", "--user", "admin1",
        "--reason", "case files")
    rules = json.loads(run("policy", "list", "--json"))
    assert rules["floor"] == "180 days" and rules["rules"][0]["case_type"] == "labour"
    shown = json.loads(run("show", kept, "--json"))
    assert shown["status"] == "kept" and shown["rule"].startswith("floor")

    hold_id = run("hold", "place", "--kind", "complaint", "--reference", "投诉-9",
                  "--reason", "refused at window", "--user", "sup1",
                  "--recording", kept).strip()
    assert [h["id"] for h in json.loads(run("hold", "list", "--user", "insp1", "--json"))] \
        == [hold_id]
    assert "asked for" in run("hold", "release", hold_id, "--user", "insp1", "--reason",
                              "withdrawn")
    assert "released" in run("hold", "release", hold_id, "--user", "admin1", "--reason",
                             "agreed")

    due_at = json.loads(run("show", due, "--json"))["retain_until"]
    wait_until(datetime.fromisoformat(due_at))
    table = run("sweep", "--dry-run")
    assert due in table and "1 recordings due" in table and "nothing was changed" in table
    listed = json.loads(run("sweep", "--dry-run", "--json"))
    assert [e["recording_id"] for e in listed["due"]] == [due]
    assert listed["total_bytes"] > 0
    batch = json.loads(run("sweep", "--propose", "--user", "admin1", "--json"))
    # Without approval the sweep deletes nothing and says what waits.
    waiting = json.loads(run("sweep", "--json"))
    assert waiting["disposed"] == {} and waiting["awaiting_approval"] == [batch["id"]]
    assert len(segment_versions(archive, due)) == 2
    run("approve", batch["id"], "--user", "admin1", "--reason", "monthly disposal")
    swept = json.loads(run("sweep", "--json"))
    certificate_id = swept["disposed"][due]
    assert segment_versions(archive, due) == []
    run("certificate", certificate_id, "--export", str(tmp_path / "cert"))
    assert sorted(p.name for p in (tmp_path / "cert").iterdir()) == [
        "certificate.json", "certificate.p7s", "certificate.tsr", "chain.pem"]
    assert json.loads(run("batches", "--json"))[0]["state"] == "done"

    svg = tmp_path / "forecast.svg"
    out = run("forecast", "--months", "3", "--svg", str(svg))
    assert "total" in out and svg.read_text().startswith("<svg")
