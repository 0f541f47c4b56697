"""Exports in the access log: creation and every download are entries with who, what (export
id, package sha256), when and why; polling is not. Reads travel in the custody history of
the next package; packages are deleted after the kept days and after disposal."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from archive.access import people as access
from archive.audit import log as audit
from archive.catalog.models import TreeHead
from archive.evidence.vocabulary import Role
from archive.export.access import SOURCE
from archive.export.jobs import SWEEP_TASK, ExportJobs, jobs_root, sweep_packages
from archive.export.offline.layout import Selection
from archive.jobs import build_jobs
from archive.settings import to_toml
from archive.verify.disposed import DisposalCertificate
from tests.integration.archive.export.conftest import CASE, T0, Seeded, run

pytestmark = pytest.mark.usefixtures("test_stack")

REASON = "纪检调查 inspection 2026-9"
WHY = {"reason_kind": "inspection", "reason_ref": "纪检〔2026〕9号"}


@pytest.fixture(scope="module")
def token(seeded: Seeded) -> str:
    with seeded.archive.catalog.write() as db:
        access.create_user(db, id="insp-wh", name="纪检 同志", role=Role.INSPECTOR,
                           jurisdiction_id="wh")
        return access.create_api_token(db, user_id="insp-wh")


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    archive = seeded.archive
    jobs = build_jobs(archive.settings, immediate=True, archive_factory=lambda: archive)
    assert SWEEP_TASK in jobs.tasks  # the package sweep is a scheduled job
    with TestClient(create_app(archive.settings, archive=archive, jobs=jobs)) as client:
        yield client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _entries(seeded: Seeded, *, action: str | None = None,
             session_id: str | None = None) -> list[audit.AccessEntry]:
    with seeded.archive.catalog.read() as db:
        return sorted(audit.list_entries(db, where=audit.EntryFilter(
            scope_path="/", action=action, session_id=session_id), limit=1000),
            key=lambda e: e.seq)


def _count(seeded: Seeded) -> int:
    with seeded.archive.catalog.read() as db:
        return audit.count(db)


def _export(client: TestClient, token: str) -> dict[str, Any]:
    created = client.post("/api/v1/exports", headers=_auth(token),
                          json={"case": CASE, "reason": REASON})
    assert created.status_code == 202, created.text
    job: dict[str, Any] = client.get(f"/api/v1/exports/{created.json()['id']}",
                                     headers=_auth(token)).json()
    assert job["state"] == "done", job
    return job


def test_creation_and_each_download_are_logged_and_polling_is_not(
        client: TestClient, seeded: Seeded, token: str) -> None:
    before = _count(seeded)
    refused = client.post("/api/v1/exports", headers=_auth(token),
                          json={"case": CASE, "reason": ""})
    assert refused.status_code == 422 and _count(seeded) == before
    job = _export(client, token)
    (created,) = [e for e in _entries(seeded, action="export") if e.target_id == job["id"]]
    assert (created.user_id, created.reason_ref) == ("insp-wh", REASON)
    assert created.detail["export"] == job["id"]
    assert created.detail["recordings"] == sorted(seeded.recordings)
    polled = _count(seeded)
    for _ in range(3):
        assert client.get(f"/api/v1/exports/{job['id']}",
                          headers=_auth(token)).status_code == 200
    assert _count(seeded) == polled  # polling reads no evidence
    missing = client.get(job["download"], headers=_auth(token))
    assert missing.status_code == 422 and _count(seeded) == polled
    digests = []
    for _ in range(2):
        download = client.get(job["download"], headers=_auth(token), params=WHY)
        assert download.status_code == 200
        digests.append(hashlib.sha256(download.content).hexdigest())
    downloads = [e for e in _entries(seeded, action="download") if e.target_id == job["id"]]
    assert len(downloads) == 2
    for entry, digest in zip(downloads, digests, strict=True):
        assert entry.detail["package_sha256"] == digest == job["result"]["package_sha256"]
        assert entry.detail["tagmanifest_sha256"] == job["result"]["tagmanifest_sha256"]
        assert (entry.reason_kind, entry.reason_ref) == ("inspection", "纪检〔2026〕9号")
        assert entry.detail["export_reason"] == REASON and entry.user_id == "insp-wh"


def test_range_playback_and_download_are_in_the_next_packages_history(
        client: TestClient, seeded: Seeded, token: str, tmp_path: Path) -> None:
    played = client.post("/api/v1/playback", headers=_auth(token), json={
        "recording_id": seeded.recordings[0], "start": (T0 + timedelta(seconds=0.2)).isoformat(),
        "end": (T0 + timedelta(seconds=1.5)).isoformat(), **WHY})
    assert played.status_code == 201, played.text
    job = _export(client, token)
    download = client.get(job["download"], headers=_auth(token), params=WHY)
    assert download.status_code == 200
    digest = hashlib.sha256(download.content).hexdigest()
    result = seeded.export(tmp_path / "next.zip", Selection(case=CASE), reason="复核 review")
    with zipfile.ZipFile(result.path) as package:
        name = next(n for n in package.namelist() if n.endswith("data/access-log.json"))
        events = json.loads(package.read(name))["events"]
    logged = [e for e in events if e["source"] == SOURCE]
    (play,) = [e for e in logged if e["action"] == "play"]
    assert play["actor"] == "user:insp-wh" and play["reason"] == "inspection: 纪检〔2026〕9号"
    assert play["target"] == f"recording {seeded.recordings[0]}" and play["detail"]["range"]
    downloaded = [e for e in logged if e["action"] == "download"]
    assert digest in [e["detail"]["package_sha256"] for e in downloaded]
    assert all(e["detail"]["entry_hash"] for e in logged)
    # The sealed export records are there once each, not again from the access log.
    assert not [e for e in logged if e["action"] == "export"]


def test_cli_export_and_verification_are_logged_as_the_operator(
        seeded: Seeded, tmp_path: Path) -> None:
    config = tmp_path / "aidrec.toml"
    config.write_text(to_toml(seeded.archive.settings))
    out = tmp_path / "cli.zip"
    done = run(sys.executable, "-m", "archive", "export", "--config", config, "--case", CASE,
               "--reason", "投诉核查 cli", "--out", out, "--json")
    assert done.returncode == 0, done.stderr
    export_id = json.loads(done.stdout)["export_id"]
    (entry,) = [e for e in _entries(seeded, action="export") if e.target_id == export_id]
    assert entry.user_id is None and entry.role == "operator"
    assert entry.detail["actor"].startswith("operator:")
    assert entry.detail["package_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert entry.reason_ref == "投诉核查 cli"
    verified = run(sys.executable, "-m", "archive", "verify", "--config", config,
                   "--session", seeded.sessions[1])
    assert verified.returncode == 0, verified.stdout + verified.stderr
    (read,) = [e for e in _entries(seeded, session_id=seeded.sessions[1])
               if e.target_type == "verification"]
    assert (read.role, read.recording_id) == ("operator", seeded.recordings[1])
    assert read.detail["passed"] is True and read.detail["actor"].startswith("operator:")


def test_packages_are_deleted_after_the_kept_days_and_after_disposal(
        client: TestClient, seeded: Seeded, token: str) -> None:
    assert seeded.archive.settings.archive.export_keep_days == 7
    jobs = ExportJobs(jobs_root(seeded.archive.settings.home))
    now = datetime.now(UTC)
    job = _export(client, token)
    kept = sweep_packages(seeded.archive.catalog, jobs, now=now, keep_days=7)
    assert job["id"] not in kept and jobs.package(job["id"]).is_file()
    gone = sweep_packages(seeded.archive.catalog, jobs, now=now + timedelta(days=8),
                          keep_days=7)
    assert job["id"] in gone and not jobs.package(job["id"]).exists()
    state = jobs.get(job["id"])
    assert state.result["expired"] == "kept_days"
    assert state.result["package_sha256"] == job["result"]["package_sha256"]
    before = _count(seeded)
    late = client.get(job["download"], headers=_auth(token), params=WHY)
    assert late.status_code == 404 and late.json()["error"]["reason"] == "package_gone"
    assert _count(seeded) == before
    # A recording of the package is disposed of: its package goes at the next sweep.
    fresh = _export(client, token)
    with seeded.archive.catalog.write() as db:
        head = db.scalars(select(TreeHead).order_by(TreeHead.id.desc()).limit(1)).one()
        db.add(DisposalCertificate(
            id="c" * 32, recording_id=seeded.recordings[1], document_sha256="0" * 64,
            document=b"{}", objects={}, log_index=0, tree_head_id=head.id, timestamp_at=now,
            issued_at=now, completed_at=None))
    assert sweep_packages(seeded.archive.catalog, jobs, now=now, keep_days=7) == [fresh["id"]]
    assert jobs.get(fresh["id"]).result["expired"] == "recording_disposed"
