"""The web service: POST queues an export job, GET follows it, then the package downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.access import people as access
from archive.evidence.vocabulary import Role
from archive.export.jobs import jobs_root
from archive.export.offline.verify import PackageVerifier
from archive.jobs import build_jobs
from tests.integration.archive.export.conftest import CASE, Seeded

pytestmark = pytest.mark.usefixtures("test_stack")


@pytest.fixture(scope="module")
def tokens(seeded: Seeded) -> dict[str, str]:
    found = {}
    with seeded.archive.catalog.write() as db:
        for user, role, where in (("insp-wh", Role.INSPECTOR, "wh"),
                                  ("insp-gd", Role.INSPECTOR, "gd"),
                                  ("clerk", Role.WINDOW_STAFF, "wh")):
            access.create_user(db, id=user, name=f"{user} 同志", role=role, jurisdiction_id=where)
            found[user] = access.create_api_token(db, user_id=user)
    return found


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    archive = seeded.archive
    jobs = build_jobs(archive.settings, immediate=True, archive_factory=lambda: archive)
    with TestClient(create_app(archive.settings, archive=archive, jobs=jobs)) as client:
        yield client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_export_job_runs_reports_progress_and_downloads(client: TestClient, seeded: Seeded,
                                                        tokens: dict[str, str],
                                                        tmp_path: Path) -> None:
    created = client.post("/api/v1/exports", headers=_auth(tokens["insp-wh"]),
                          json={"case": CASE, "reason": "纪检调查 inspection 2026-3"})
    assert created.status_code == 202, created.text
    job = created.json()
    status = client.get(f"/api/v1/exports/{job['id']}", headers=_auth(tokens["insp-wh"]))
    assert status.status_code == 200
    body = status.json()
    assert body["state"] == "done", body
    assert body["done_bytes"] == body["total_bytes"] > 0
    assert body["download"] == f"/api/v1/exports/{job['id']}/download"
    download = client.get(body["download"], headers=_auth(tokens["insp-wh"]),
                          params={"reason_kind": "inspection", "reason_ref": "纪检〔2026〕3号"})
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    package = tmp_path / "downloaded.zip"
    package.write_bytes(download.content)
    report = PackageVerifier(trust_roots=[seeded.root]).verify(package)
    assert report.ok, report.to_json()
    assert any("user:insp-wh" in c.detail for c in report.checks if c.name == "export record")
    # Someone else's export does not exist for them.
    other = client.get(f"/api/v1/exports/{job['id']}", headers=_auth(tokens["insp-gd"]))
    assert other.status_code == 404


@pytest.mark.parametrize(("user", "body", "status", "reason"), [
    ("clerk", {"case": CASE, "reason": "x"}, 403, "role"),
    ("insp-gd", {"case": CASE, "reason": "x"}, 404, "no_case"),
    ("insp-wh", {"case": "云援〔2099〕1号", "reason": "x"}, 404, "no_case"),
    ("insp-wh", {"window": "wh-w1", "from": "2026-11-02T09:00:00+08:00",
                 "to": "2026-11-02T08:00:00+08:00", "reason": "x"}, 400, "empty_range"),
    ("insp-wh", {"case": CASE, "reason": ""}, 422, None),
])
def test_bad_requests_are_refused_before_any_job(client: TestClient, seeded: Seeded,
                                                 tokens: dict[str, str], user: str,
                                                 body: dict[str, str], status: int,
                                                 reason: str | None) -> None:
    root = jobs_root(seeded.archive.settings.home)
    before = sorted(root.iterdir()) if root.exists() else []
    answer = client.post("/api/v1/exports", headers=_auth(tokens[user]), json=body)
    assert answer.status_code == status, answer.text
    if reason:
        assert answer.json()["error"]["reason"] == reason
    after = sorted(root.iterdir()) if root.exists() else []
    assert after == before
