"""The ingest API against the real S3 server, TSA and both catalog databases."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from archive.catalog.models import Gap, Marker, Recording, Segment, Session
from archive.evidence.vocabulary import SealState
from archive.services import Archive
from tests.support import Tree, Uploader


@pytest.fixture
def uploader(client: TestClient, tree: Tree) -> Uploader:
    up = Uploader(client, tree.token, tree.window_id)
    up.open()
    return up


def _counts(archive: Archive, recording_id: str) -> tuple[int, int]:
    with archive.catalog.read() as db:
        n = db.scalar(select(func.count()).select_from(Segment)
                      .where(Segment.recording_id == recording_id))
        rec = db.get(Recording, recording_id)
        assert rec is not None
        return int(n or 0), rec.revision


def _versions(archive: Archive, recording_id: str) -> list[object]:
    return list(archive.store.list_versions(f"recordings/{recording_id}/segments/"))


def test_recording_round_trip_is_sealed_and_verifies(archive: Archive, uploader: Uploader,
                                                     client: TestClient) -> None:
    for i in range(3):
        assert uploader.put(f"segment {i} ".encode() * 1000).status_code == 200
    r = client.post(f"/api/v1/ingest/recordings/{uploader.recording_id}/sessions",
                    headers=uploader.headers,
                    json={"started_at": datetime(2026, 11, 2, 1, 0, 2, tzinfo=UTC).isoformat(),
                          "case_number": "云援〔2026〕0123号", "stage": "consultation",
                          "staff_id": "s-001", "attributes": {"elderly": True}})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/ingest/recordings/{uploader.recording_id}/markers",
                    headers=uploader.headers,
                    json={"at": datetime(2026, 11, 2, 1, 0, 3, tzinfo=UTC).isoformat(),
                          "label": "申请人出示材料"})
    assert r.status_code == 201
    r = client.post(f"/api/v1/ingest/recordings/{uploader.recording_id}/gaps",
                    headers=uploader.headers,
                    json={"started_at": "2026-11-02T01:00:15+00:00",
                          "ended_at": "2026-11-02T01:00:20+00:00",
                          "cause": "camera_unreachable", "detail": "connection refused"})
    assert r.status_code == 201
    closed = uploader.close()
    assert closed.status_code == 200, closed.text
    rec = client.get(f"/api/v1/ingest/recordings/{uploader.recording_id}",
                     headers=uploader.headers).json()
    assert rec["seal_state"] == SealState.SEALED.value
    assert rec["segment_count"] == 3
    report = archive.verifier().verify_recording(uploader.recording_id)
    assert report.ok, report.to_json()
    names = {c.name for c in report.checks}
    assert {"chain", "objects", "signature", "timestamp", "log inclusion",
            "manifest sessions", "manifest gaps", "manifest markers"} <= names


def test_same_bytes_again_succeed_and_change_nothing(archive: Archive,
                                                     uploader: Uploader) -> None:
    data = b"x" * 5000
    first = uploader.put(data)
    assert first.status_code == 200 and first.json()["created"] is True
    before = _counts(archive, uploader.recording_id)
    versions = _versions(archive, uploader.recording_id)
    again = uploader.put(data, seq=0, prev_hash=first.json()["chain_hash"])
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert again.json()["version_id"] == first.json()["version_id"]
    assert _counts(archive, uploader.recording_id) == before
    assert _versions(archive, uploader.recording_id) == versions


def test_other_bytes_for_a_stored_segment_are_refused(archive: Archive,
                                                      uploader: Uploader) -> None:
    assert uploader.put(b"original" * 100).status_code == 200
    before = _counts(archive, uploader.recording_id)
    r = uploader.put(b"forgery!" * 100, seq=0)
    assert r.status_code == 409
    assert r.json()["error"]["reason"] == "segment_exists"
    assert _counts(archive, uploader.recording_id) == before


def test_body_not_matching_declared_hash_stores_nothing(archive: Archive,
                                                        uploader: Uploader) -> None:
    r = uploader.put(b"actual bytes", sha256=hashlib.sha256(b"declared").hexdigest())
    assert r.status_code == 400
    assert r.json()["error"]["reason"] == "digest_mismatch"
    assert _counts(archive, uploader.recording_id) == (0, 0)
    assert _versions(archive, uploader.recording_id) == []


def test_chain_break_and_skipped_segment_are_refused(archive: Archive,
                                                     uploader: Uploader) -> None:
    assert uploader.put(b"a" * 100).status_code == 200
    wrong_prev = uploader.put(b"b" * 100, prev_hash="0" * 64)
    assert wrong_prev.status_code == 409
    assert wrong_prev.json()["error"]["reason"] == "chain_break"
    skipped = uploader.put(b"c" * 100, seq=5)
    assert skipped.status_code == 409
    assert skipped.json()["error"]["reason"] == "out_of_order"
    assert _counts(archive, uploader.recording_id)[0] == 1
    assert len(_versions(archive, uploader.recording_id)) == 1


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/v1/ingest/recordings", {"window_id": "wh-w1"}),
    ("post", "/api/v1/ingest/recordings", {"window_id": "wh-w1", "started_at": "yesterday"}),
    ("post", "/api/v1/ingest/recordings",
     {"window_id": "wh-w1", "started_at": "2026-11-02T01:00:00"}),  # no UTC offset
    ("post", "/api/v1/ingest/recordings",
     {"window_id": "nope", "started_at": "2026-11-02T01:00:00Z"}),
    ("post", "/api/v1/ingest/recordings",
     {"window_id": "gd-w1", "started_at": "2026-11-02T01:00:00Z"}),  # other county
    ("post", "/api/v1/ingest/recordings/{rid}/gaps",
     {"started_at": "2026-11-02T01:00:10Z", "ended_at": "2026-11-02T01:00:05Z",
      "cause": "camera_unreachable"}),
    ("post", "/api/v1/ingest/recordings/{rid}/gaps",
     {"started_at": "2026-11-02T01:00:00Z", "ended_at": "2026-11-02T01:00:05Z",
      "cause": "coffee_break"}),
    ("post", "/api/v1/ingest/recordings/{rid}/gaps",
     {"started_at": "2026-11-02T01:00:00Z", "ended_at": "2026-11-02T01:00:05Z",
      "cause": "stopped_by_person"}),  # no person named
    ("post", "/api/v1/ingest/recordings/{rid}/sessions",
     {"started_at": "2026-11-02T01:00:00Z", "stage": "bribery"}),
    ("post", "/api/v1/ingest/recordings/{rid}/sessions",
     {"started_at": "2026-11-02T01:00:00Z", "unknown_field": 1}),
    ("post", "/api/v1/ingest/recordings/{rid}/markers",
     {"at": "2026-11-02T01:00:00Z", "label": ""}),
    ("post", "/api/v1/ingest/recordings/{rid}/close", {"ended_at": "2020-01-01T00:00:00Z"}),
    ("post", "/api/v1/ingest/recordings/missing/close", {"ended_at": "2026-11-02T02:00:00Z"}),
    ("patch", "/api/v1/ingest/sessions/missing", {"stage": "review"}),
])
def test_bad_input_gets_4xx_and_changes_nothing(
    archive: Archive, uploader: Uploader, client: TestClient, method: str, path: str,
    body: dict[str, object],
) -> None:
    before = _snapshot(archive)
    r = client.request(method.upper(), path.format(rid=uploader.recording_id),
                       headers=uploader.headers, json=body)
    assert 400 <= r.status_code < 500, r.text
    assert "Traceback" not in r.text
    assert _snapshot(archive) == before


@pytest.mark.parametrize("params", [
    {"sha256": "XYZ", "prev_hash": "0" * 64},
    {"sha256": "0" * 64},  # prev_hash missing
    {"sha256": "0" * 64, "prev_hash": "0" * 64, "started_at": "2026-11-02T01:00:05Z",
     "ended_at": "2026-11-02T01:00:00Z"},  # ends before start
    {"sha256": "0" * 64, "prev_hash": "0" * 64, "started_at": "2026-11-02T01:00:00",
     "ended_at": "2026-11-02T01:00:05"},  # naive times
])
def test_bad_segment_parameters_get_4xx_and_store_nothing(
    archive: Archive, uploader: Uploader, client: TestClient, params: dict[str, str],
) -> None:
    full = {"started_at": "2026-11-02T01:00:00Z", "ended_at": "2026-11-02T01:00:05Z", **params}
    r = client.put(f"/api/v1/ingest/recordings/{uploader.recording_id}/segments/0",
                   params=full, content=b"data", headers=uploader.headers)
    assert 400 <= r.status_code < 500, r.text
    assert _versions(archive, uploader.recording_id) == []
    empty = uploader.put(b"")
    assert empty.status_code == 400
    assert _versions(archive, uploader.recording_id) == []


def test_tokens_are_required_and_scoped(archive: Archive, uploader: Uploader, tree: Tree,
                                        client: TestClient) -> None:
    url = f"/api/v1/ingest/recordings/{uploader.recording_id}"
    assert client.get(url).status_code == 403
    assert client.get(url, headers={"Authorization": "Bearer forged"}).status_code == 403
    other = {"Authorization": f"Bearer {tree.other_token}"}
    assert client.get(url, headers=other).status_code == 403
    intruder = Uploader(client, tree.other_token, tree.window_id,
                        recording_id=uploader.recording_id, head=uploader.head)
    assert intruder.put(b"planted" * 10).status_code == 403
    assert _versions(archive, uploader.recording_id) == []


def test_closed_recording_takes_no_more_segments(archive: Archive, uploader: Uploader) -> None:
    assert uploader.put(b"one" * 10).status_code == 200
    assert uploader.close().status_code == 200
    late = uploader.put(b"two" * 10)
    assert late.status_code == 409
    assert late.json()["error"]["reason"] == "recording_closed"


def test_object_stored_before_a_crash_is_completed_by_the_retry(
    archive: Archive, uploader: Uploader,
) -> None:
    """The API died after writing the object but before the catalog commit: the retry heals."""
    data = b"in flight" * 500
    digest = hashlib.sha256(data).hexdigest()
    key = f"recordings/{uploader.recording_id}/segments/000000.ts"
    with archive.catalog.read() as db:
        rec = db.get(Recording, uploader.recording_id)
        assert rec is not None
        retain = rec.retain_until
    archive.store.put_locked(key, data, length=len(data), sha256_hex=digest,
                             retain_until=retain, content_type="video/mp2t")
    assert _counts(archive, uploader.recording_id)[0] == 0
    r = uploader.put(data)
    assert r.status_code == 200 and r.json()["created"] is True
    assert uploader.close().status_code == 200
    assert archive.verifier().verify_recording(uploader.recording_id).ok


def _snapshot(archive: Archive) -> tuple[int, ...]:
    with archive.catalog.read() as db:
        return tuple(int(db.scalar(select(func.count()).select_from(m)) or 0)
                     for m in (Recording, Segment, Gap, Session, Marker))
