"""The admin API: rules, what is kept, holds, approval and disposal, forecast with its chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.access import people as access
from archive.jobs import build_jobs
from archive.services import Archive
from retention.locks import apply_retention
from retention.settings import RetentionSettings
from tests.integration.retention.conftest import (
    People,
    make_recording,
    segment_versions,
    wait_until,
)


def _tokens(archive: Archive, *users: str) -> dict[str, dict[str, str]]:
    with archive.catalog.write() as db:
        return {u: {"Authorization": f"Bearer {access.create_api_token(db, user_id=u)}"}
                for u in users}


# The services under the API run on both databases in the other tests.
@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_admin_sees_keeps_holds_and_disposes_through_the_api(
        archive: Archive, people: People, config: RetentionSettings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A one-administrator office: the two-person rule (on by default) is turned off knowingly.
    monkeypatch.setenv("AIDREC_RETENTION__TWO_PERSON_RULE", "false")
    due = make_recording(archive, due_in=8)
    kept = make_recording(archive)
    due_at = apply_retention(archive, config, now=datetime.now(UTC)).raised[due]
    jobs = build_jobs(archive.settings, immediate=True, archive_factory=lambda: archive)
    h = _tokens(archive, "admin1", "insp1", "sup1", "aud1")
    with TestClient(create_app(archive.settings, archive=archive, jobs=jobs)) as client:
        base = "/api/v1/retention"
        # Rules: only a province administrator sets them; bad input is refused whole.
        rule = {"category": "case", "years": 10, "case_type": "labour", "reason": "10 years"}
        assert client.post(f"{base}/policies", json=rule, headers=h["sup1"]).status_code == 403
        bad = client.post(f"{base}/policies", json={**rule, "years": 0, "days": 30},
                          headers=h["admin1"])
        assert bad.status_code == 400 and bad.json()["error"]["reason"] == "below_floor"
        assert client.post(f"{base}/policies", json={**rule, "extra": 1},
                           headers=h["admin1"]).status_code == 422
        created = client.post(f"{base}/policies", json=rule, headers=h["admin1"])
        assert created.status_code == 201, created.text
        listed = client.get(f"{base}/policies", headers=h["sup1"]).json()
        assert listed["floor"] == "180 days" and len(listed["rules"]) == 1
        assert client.get(f"{base}/policies").status_code == 401

        # What is kept, and why.
        shown = client.get(f"{base}/recordings/{kept}", headers=h["sup1"]).json()
        assert shown["status"] == "kept" and shown["rule"].startswith("floor")
        assert shown["locked_in_store_until"] is not None
        schedule = client.get(f"{base}/schedule", params={"days": 400}, headers=h["admin1"])
        assert {e["recording_id"] for e in schedule.json()} == {due, kept}

        # Holds: placed by an inspector, released only with a role and a reason.
        hold = client.post(f"{base}/holds", headers=h["insp1"], json={
            "kind": "inspection", "reference": "纪检〔2026〕3号", "reason": "audit of window",
            "recording_ids": [kept]})
        assert hold.status_code == 201, hold.text
        assert [i["store"] for i in hold.json()["items"]] == ["on"]
        hold_id = hold.json()["id"]
        assert client.get(f"{base}/recordings/{kept}",
                          headers=h["sup1"]).json()["status"] == "held"
        assert client.post(f"{base}/holds/{hold_id}/release", json={"reason": "done"},
                           headers=h["sup1"]).status_code == 403
        assert client.post(f"{base}/holds/{hold_id}/release", json={},
                           headers=h["insp1"]).status_code == 422
        asked = client.post(f"{base}/holds/{hold_id}/release",
                            json={"reason": "no finding"}, headers=h["insp1"])
        assert asked.status_code == 200 and asked.json()["released_at"] is None
        released = client.post(f"{base}/holds/{hold_id}/release",
                               json={"reason": "agreed"}, headers=h["admin1"])
        assert released.status_code == 200
        assert [e["action"] for e in released.json()["events"]] == [
            "placed", "release_requested", "released"]

        # Disposal: due list, proposal, approval; the approval runs the sweep job.
        wait_until(due_at)
        listed_due = client.get(f"{base}/due", headers=h["admin1"]).json()
        assert [e["recording_id"] for e in listed_due] == [due]
        assert client.get(f"{base}/due", headers=h["insp1"]).status_code == 403
        batch = client.post(f"{base}/batches", json={"note": "monthly"}, headers=h["admin1"])
        assert batch.status_code == 201, batch.text
        batch_id = batch.json()["id"]
        approved = client.post(f"{base}/batches/{batch_id}/approve",
                               json={"reason": "list checked"}, headers=h["admin1"])
        assert approved.status_code == 200, approved.text
        done = client.get(f"{base}/batches/{batch_id}", headers=h["aud1"]).json()
        assert done["state"] == "done"
        (item,) = done["items"]
        assert item["state"] == "done" and item["certificate_id"]
        assert segment_versions(archive, due) == []
        cert = client.get(f"{base}/certificates/{item['certificate_id']}", headers=h["aud1"])
        assert cert.status_code == 200 and cert.json()["verified"], cert.text
        assert cert.json()["document"]["approval"]["approvals"][0]["user"] == "admin1"
        again = client.post(f"{base}/batches/{batch_id}/approve", json={"reason": "x"},
                            headers=h["admin1"])
        assert again.status_code == 409

        # Capacity: JSON and the chart for the admin page.
        forecast = client.get(f"{base}/forecast", params={"months": 6}, headers=h["admin1"])
        assert forecast.status_code == 200 and len(forecast.json()["points"]) == 7
        assert forecast.json()["series"]
        chart = client.get(f"{base}/forecast.svg", headers=h["admin1"])
        assert chart.headers["content-type"].startswith("image/svg+xml")
        ET.fromstring(chart.text)  # noqa: S314 - our own output
        assert client.get(f"{base}/forecast.svg", headers=h["sup1"]).status_code == 403
