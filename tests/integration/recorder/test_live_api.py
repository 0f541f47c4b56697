"""api/ingest/live.py: a window's open recordings, and tagging whatever it records now."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.devstack.ephemeral import EphemeralStack
from archive.evidence.digest import genesis_hash
from archive.jobs import build_jobs
from archive.services import Archive
from tests.support import Tree, Uploader, bootstrap_tree

LIVE = "/api/v1/ingest/windows"


@pytest.fixture
def client(test_stack: EphemeralStack, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Tree, Archive]]:
    monkeypatch.setenv("AIDREC_TRANSCRIBE__ENABLED", "false")
    settings = test_stack.settings(home=tmp_path / "home",
                                   catalog_url=f"sqlite:///{tmp_path / 'catalog.db'}")
    archive = Archive.from_settings(settings)
    archive.catalog.migrate()
    tree = bootstrap_tree(archive)
    jobs = build_jobs(settings, immediate=True, archive_factory=lambda: archive)
    with TestClient(create_app(settings, archive=archive, jobs=jobs)) as test_client:
        yield test_client, tree, archive
    archive.close()


def test_live_lookup_and_tagging(client: tuple[TestClient, Tree, Archive]) -> None:
    http, tree, _ = client
    auth = {"Authorization": f"Bearer {tree.token}"}
    r = http.post(f"{LIVE}/wh-w1/sessions", headers=auth, json={"stage": "consultation"})
    assert r.status_code == 409 and r.json()["error"]["reason"] == "not_recording"
    up = Uploader(http, tree.token, tree.window_id)
    up.open()
    found = http.get(f"{LIVE}/wh-w1/recordings", headers=auth,
                     params={"started_at": up.clock.isoformat()}).json()
    assert [(f["id"], f["genesis"]) for f in found] == [(up.recording_id,
                                                          genesis_hash(up.recording_id))]
    assert http.get(f"{LIVE}/wh-w1/recordings", headers=auth,
                    params={"started_at": "2026-11-02T01:00:00"}).status_code == 400
    r = http.post(f"{LIVE}/wh-w1/sessions", headers=auth,
                  json={"case_number": "云援〔2026〕0123号", "stage": "consultation"})
    assert r.status_code == 201 and len(r.json()["ids"]) == 1
    r = http.post(f"{LIVE}/wh-w1/markers", headers=auth, json={"label": "出示证件"})
    assert r.status_code == 201
    r = http.post(f"{LIVE}/wh-w1/sessions/end", headers=auth, json={})
    assert r.status_code == 200 and len(r.json()["ids"]) == 1
    other = {"Authorization": f"Bearer {tree.other_token}"}
    assert http.get(f"{LIVE}/wh-w1/recordings", headers=other).status_code == 403
