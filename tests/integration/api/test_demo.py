"""`aidrec up --demo`: accounts that can log in, and a flagged sample session yesterday."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.compose.demo import ACCOUNTS_FILE, seed_demo
from archive.jobs import build_jobs
from archive.services import Archive
from archive.settings import Settings


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_seed_demo_twice(settings: Settings, archive: Archive) -> None:
    (settings.home).mkdir(parents=True, exist_ok=True)
    (settings.home / "transcribe.toml").write_text("enabled = false\n")
    seed_demo(settings)
    seed_demo(settings)  # idempotent: no second set of accounts or samples
    accounts = (settings.home / ACCOUNTS_FILE).read_text().split("\n")
    rows = [line.split("\t") for line in accounts if line]
    assert len(rows) == 5 and oct((settings.home / ACCOUNTS_FILE).stat().st_mode)[-3:] == "600"
    user, password = next((r[0], r[1]) for r in rows if r[2] == "supervisor")
    jobs = build_jobs(settings, immediate=True, archive_factory=lambda: archive)
    with TestClient(create_app(settings, archive=archive, jobs=jobs)) as client:
        assert client.post("/api/v1/auth/login", json={"username": user,
                                                       "password": password}).status_code == 200
        board = client.get("/api/v1/dashboard").json()
        (flagged,) = board["flagged_sessions"]
        assert flagged["case_number"] == "云援〔2026〕0001号" and flagged["flags"]["money"] >= 1
