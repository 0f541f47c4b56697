"""Complaints: deadlines, states, linking sessions places holds, bad input changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.complaints.models import Complaint, ComplaintSession
from archive.catalog.models import Segment
from archive.evidence.vocabulary import Role
from tests.integration.api.conftest import World


def _count(world: World) -> tuple[int, int]:
    with world.archive.catalog.read() as db:
        return (int(db.scalar(select(func.count()).select_from(Complaint)) or 0),
                int(db.scalar(select(func.count()).select_from(ComplaintSession)) or 0))


def test_register_link_hold_accept_close(world: World, client: TestClient) -> None:
    sup = world.bearer(Role.SUPERVISOR)
    response = client.post("/api/v1/complaints", headers=sup, json={
        "complainant": "王某", "summary": "窗口人员索要红包", "received_on": "2026-09-25",
        "session_ids": [world.wh.session_id]})
    assert response.status_code == 201, response.text
    complaint = response.json()
    # Received Friday 25 Sep 2026: 5 working days (Mon-Fri) -> Fri 2 Oct; 45 days -> 9 Nov.
    assert complaint["accept_due"] == "2026-10-02" and complaint["close_due"] == "2026-11-09"
    assert complaint["number"].startswith("投诉〔2026〕") and complaint["urgency"] == "overdue"
    (link,) = complaint["linked"]
    assert link["session_id"] == world.wh.session_id and link["hold_ref"]
    # The recording's originals are under legal hold in the object store.
    with world.archive.catalog.read() as db:
        objects = list(db.execute(select(Segment.object_key, Segment.version_id).where(
            Segment.recording_id == world.wh.recording_id)))
    assert objects and all(world.archive.store.get_legal_hold(k, v) for k, v in objects)
    cid = complaint["id"]
    again = client.post(f"/api/v1/complaints/{cid}/sessions", headers=sup,
                        json={"session_id": world.wh.session_id})
    assert again.status_code == 409 and again.json()["error"]["reason"] == "already_linked"
    # A finding before acceptance is refused; acceptance, then closing, work once each.
    early = client.post(f"/api/v1/complaints/{cid}/close", headers=sup,
                        json={"outcome": "substantiated", "note": "属实"})
    assert early.status_code == 409
    assert client.post(f"/api/v1/complaints/{cid}/accept", headers=sup).json()["state"] == \
        "accepted"
    assert client.post(f"/api/v1/complaints/{cid}/accept", headers=sup).status_code == 409
    closed = client.post(f"/api/v1/complaints/{cid}/close", headers=sup,
                         json={"outcome": "substantiated", "note": "经查属实，已处理"})
    assert closed.json()["state"] == "closed" and closed.json()["urgency"] is None
    # Inspectors read complaints and link sessions, but do not register them.
    assert client.get(f"/api/v1/complaints/{cid}",
                      headers=world.bearer(Role.INSPECTOR)).status_code == 200
    assert client.post("/api/v1/complaints", headers=world.bearer(Role.INSPECTOR), json={
        "complainant": "x", "summary": "y"}).status_code == 403


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_bad_input_changes_nothing(world: World, client: TestClient) -> None:
    sup = world.bearer(Role.SUPERVISOR)
    before = _count(world)
    bad = [
        ({"complainant": " ", "summary": "y"}, 400),
        ({"complainant": "x", "summary": "y", "received_on": "2999-01-01"}, 400),
        ({"complainant": "x", "summary": "y", "number": world.wh.complaint_number}, 409),
        ({"complainant": "x", "summary": "y", "session_ids": [world.gd.session_id]}, 404),
        ({"complainant": "x", "summary": "y", "session_ids": ["nope"]}, 404),
        ({"complainant": "x", "summary": "y", "jurisdiction_id": "gd"}, 404),
        ({"complainant": "x", "summary": "y", "surprise": 1}, 422),
        ({"complainant": "x" * 201, "summary": "y"}, 422),
    ]
    for body, status in bad:
        response = client.post("/api/v1/complaints", headers=sup, json=body)
        assert response.status_code == status, (body, response.text)
        assert "Traceback" not in response.text
    assert _count(world) == before


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_reviews_and_notes_validate(world: World, client: TestClient) -> None:
    sup = world.bearer(Role.SUPERVISOR)
    url = f"/api/v1/sessions/{world.wh.session_id}"
    items = [i.id for i in world.web.checklist]
    missing = client.post(f"{url}/reviews", headers=sup,
                          json={"scores": {items[0]: 2}})
    assert missing.status_code == 400 and missing.json()["error"]["reason"] == "bad_scores"
    out_of_range = client.post(f"{url}/reviews", headers=sup,
                               json={"scores": {i: 3 for i in items}})
    assert out_of_range.status_code == 400
    ok = client.post(f"{url}/reviews", headers=sup,
                     json={"scores": {i: 2 for i in items} | {items[0]: 0}, "comment": "未告知"})
    assert ok.status_code == 201
    assert (ok.json()["total"], ok.json()["maximum"]) == (2 * len(items) - 2, 2 * len(items))
    late = client.post(f"{url}/notes", headers=sup, json={"offset_ms": 10**8, "text": "x"})
    assert late.status_code == 400 and late.json()["error"]["reason"] == "bad_offset"
    assert len(client.get(f"{url}/reviews", headers=sup).json()) == 1
    assert client.get(f"{url}/notes", headers=sup).json() == []


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_case_page_orders_stages(world: World, client: TestClient) -> None:
    from archive.evidence.vocabulary import Stage
    from archive.ingest import service as ingest

    operator = ingest.Actor(id="operator:test", jurisdiction_id=None)
    later = world.wh.started_at.replace(hour=world.wh.started_at.hour + 1)
    ingest.open_session(world.archive.catalog, actor=operator,
                        recording_id=world.wh.recording_id, started_at=later,
                        ended_at=later, case_number=world.wh.case_number,
                        stage=Stage.ACCEPTANCE, staff_id="wh-staff2")
    case = client.get(f"/api/v1/cases/{world.wh.case_id}",
                      headers=world.bearer(Role.INSPECTOR)).json()
    assert [s["stage"] for s in case["stages"]] == ["consultation", "acceptance"]
    page = client.get(f"/cases/{world.wh.case_id}", headers=world.bearer(Role.INSPECTOR))
    assert page.text.index("1. 咨询接待") < page.text.index("2. 受理")
    assert date.fromisoformat(case["stages"][0]["sessions"][0]["started_at"][:10])
