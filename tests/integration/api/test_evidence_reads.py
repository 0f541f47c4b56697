"""Every read of evidence is one access-log entry with a reason: range playback in the "who
watched" list, transcript readings (API and session page), searches naming the sessions
shown. A read without a reason is refused and logs nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from archive.audit import log as audit
from archive.catalog.models import Recording, Session
from archive.evidence.vocabulary import Role
from tests.integration.api.conftest import LINES, World

SAID = LINES[2][1]  # "这个服务要收费吗"


def _entries(world: World, *, action: str | None = None,
             session_id: str | None = None) -> list[audit.AccessEntry]:
    with world.archive.catalog.read() as db:
        return audit.list_entries(db, where=audit.EntryFilter(
            scope_path="/", action=action, session_id=session_id), limit=1000)


def _count(world: World) -> int:
    with world.archive.catalog.read() as db:
        return audit.count(db)


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_range_playback_is_in_the_sessions_viewers(world: World, client: TestClient) -> None:
    inspector = world.people[Role.INSPECTOR]
    start = world.wh.started_at + timedelta(seconds=1)
    response = client.post("/api/v1/playback", headers=world.bearer(Role.INSPECTOR), json={
        "recording_id": world.wh.recording_id, "start": start.isoformat(),
        "end": (start + timedelta(seconds=2)).isoformat(), "reason_kind": "inspection",
        "reason_ref": "纪检〔2026〕7号"})
    assert response.status_code == 201, response.text
    grant = response.json()
    assert grant["session_id"] is None
    segment = client.get(grant["segments"][0]["url"], headers=world.bearer(Role.INSPECTOR))
    assert segment.status_code == 200
    (play,) = _entries(world, action="play")
    assert (play.reason_kind, play.reason_ref) == ("inspection", "纪检〔2026〕7号")
    assert play.session_id is None and play.recording_id == world.wh.recording_id
    viewers = client.get(f"/api/v1/sessions/{world.wh.session_id}/viewers",
                         headers=world.bearer(Role.AUDITOR))
    assert viewers.status_code == 200
    (viewer,) = viewers.json()
    assert viewer["user_id"] == inspector.id
    assert viewer["reasons"] == ["inspection:纪检〔2026〕7号"]
    assert viewer["requests"] == 2  # the play and its one segment
    # A session of the same recording that the range does not overlap is not in it.
    with world.archive.catalog.read() as db:
        session = db.get_one(Session, world.wh.session_id)
        recording = db.get_one(Recording, session.recording_id)
        later = (start + timedelta(hours=5), start + timedelta(hours=6))
        assert audit.viewers(db, session_id="another-session", recording_id=recording.id,
                             during=later) == []
        assert [v.user_id for v in audit.viewers(
            db, session_id="another-session", recording_id=recording.id,
            during=(start, start + timedelta(seconds=1)))] == [inspector.id]


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_transcript_api_needs_a_reason_and_is_logged(world: World, client: TestClient) -> None:
    url = f"/api/v1/sessions/{world.wh.session_id}/transcript"
    headers = world.bearer(Role.SUPERVISOR)
    before = _count(world)
    missing = client.get(url, headers=headers)
    assert missing.status_code == 422 and "reason_kind" in missing.text
    unknown = client.get(url, headers=headers, params={"reason_kind": "complaint",
                                                       "reason_ref": "投诉〔1999〕9号"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["reason"] == "unknown_complaint"
    assert _count(world) == before  # refused: nothing logged
    ok = client.get(url, headers=headers, params={"reason_kind": "complaint",
                                                  "reason_ref": world.wh.complaint_number})
    assert ok.status_code == 200 and SAID in [line["text"] for line in ok.json()["lines"]]
    (entry,) = _entries(world, action="transcript")
    assert (entry.reason_kind, entry.reason_ref) == ("complaint", world.wh.complaint_number)
    assert entry.session_id == world.wh.session_id and entry.detail["lines"] == len(LINES)
    viewers = client.get(f"/api/v1/sessions/{world.wh.session_id}/viewers",
                         headers=world.bearer(Role.AUDITOR)).json()
    assert [v["actions"] for v in viewers] == [["transcript"]]


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_session_page_shows_transcript_text_only_with_a_reason(world: World,
                                                               client: TestClient) -> None:
    url = f"/sessions/{world.wh.session_id}"
    headers = world.bearer(Role.SUPERVISOR)
    plain = client.get(url, headers=headers)
    assert plain.status_code == 200
    assert 'id="transcript-form"' in plain.text and SAID not in plain.text
    (view,) = _entries(world, session_id=world.wh.session_id)
    assert view.action == "view" and view.reason_kind is None
    before = _count(world)
    bad = client.get(url, headers=headers, params={"reason_kind": "inspection"})
    assert bad.status_code == 400 and SAID not in bad.text
    assert _count(world) == before
    shown = client.get(url, headers=headers, params={"reason_kind": "inspection",
                                                     "reason_ref": "纪检〔2026〕8号"})
    assert shown.status_code == 200 and SAID in shown.text
    assert 'id="transcript-form"' not in shown.text
    (read,) = _entries(world, action="transcript")
    assert (read.reason_kind, read.reason_ref) == ("inspection", "纪检〔2026〕8号")
    assert read.session_id == world.wh.session_id


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_search_needs_a_reason_and_names_the_sessions_shown(world: World,
                                                            client: TestClient) -> None:
    headers = world.bearer(Role.SUPERVISOR)
    before = _count(world)
    assert client.get("/api/v1/search", params={"q": "收费"}, headers=headers
                      ).status_code == 422
    assert client.get("/search", params={"q": "收费"}, headers=headers).status_code == 400
    assert _count(world) == before
    found = client.get("/api/v1/search", headers=headers,
                       params={"q": "收费", "reason_kind": "routine"})
    assert found.status_code == 200 and found.json()["hits"]
    page = client.get("/search", headers=headers, params={
        "q": "收费", "reason_kind": "complaint", "reason_ref": world.wh.complaint_number})
    assert page.status_code == 200 and SAID in page.text
    # The hit opens the session with the same reason, so its transcript is shown there.
    assert "reason_kind=complaint" in page.text
    api_entry, page_entry = sorted(_entries(world, action="search"), key=lambda e: e.seq)
    for entry in (api_entry, page_entry):
        assert entry.detail["sessions"] == [world.wh.session_id]  # gd is not in wh's scope
        assert entry.detail["recordings"] == [world.wh.recording_id]
    assert (api_entry.reason_kind, api_entry.target_type) == ("routine", "search")
    assert (page_entry.reason_kind, page_entry.reason_ref) == ("complaint",
                                                               world.wh.complaint_number)
    # Listing sessions without words shows no text and needs no reason.
    assert client.get("/search", params={"window": world.wh.window_id},
                      headers=headers).status_code == 200
