"""What a device may do: only its own recordings, only its county's cases, only while its token
is current (rotated, revoked, idle), against the real S3 server and both catalog databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from archive.access import registry
from archive.catalog.models import Case, Device, Gap, Marker, Recording, Segment, Session
from archive.cli.registry import register
from archive.evidence.errors import ConflictError, NotFoundError
from archive.services import Archive
from archive.settings import to_toml
from tests.support import Tree, Uploader

INGEST = "/api/v1/ingest"
AT = "2026-11-02T01:00:30+00:00"


def add_device(archive: Archive, id: str, jurisdiction_id: str) -> dict[str, str]:
    with archive.catalog.write() as db:
        _, token = registry.create_device(db, id=id, name=id, jurisdiction_id=jurisdiction_id)
    return {"Authorization": f"Bearer {token}"}


def snapshot(archive: Archive) -> tuple[Any, ...]:
    with archive.catalog.read() as db:
        counts = tuple(int(db.scalar(select(func.count()).select_from(m)) or 0)
                       for m in (Recording, Segment, Gap, Session, Marker, Case))
        recordings = tuple(db.execute(select(Recording.id, Recording.state, Recording.revision,
                                             Recording.ended_at)).all())
        sessions = tuple(db.execute(select(Session.id, Session.ended_at, Session.case_id,
                                           Session.stage)).all())
    return counts, recordings, sessions


def test_a_device_acts_only_on_recordings_it_opened(archive: Archive, tree: Tree,
                                                    client: TestClient) -> None:
    owner = Uploader(client, tree.token, tree.window_id)
    owner.open()
    assert owner.put(b"owned" * 100).status_code == 200
    made = client.post(f"{INGEST}/recordings/{owner.recording_id}/sessions",
                       headers=owner.headers, json={"started_at": AT, "stage": "consultation"})
    assert made.status_code == 201, made.text
    session_id = made.json()["id"]
    # A second recorder of the same county: the window is in its scope, the recording is not its.
    other = add_device(archive, "wh-rec2", "wh")
    rid = owner.recording_id
    before = snapshot(archive)
    attempts: dict[str, Any] = {
        "read": client.get(f"{INGEST}/recordings/{rid}", headers=other),
        "segment": Uploader(client, other["Authorization"].removeprefix("Bearer "),
                            tree.window_id, recording_id=rid, head=owner.head, seq=1,
                            clock=owner.clock).put(b"planted" * 10),
        "gap": client.post(f"{INGEST}/recordings/{rid}/gaps", headers=other,
                           json={"started_at": AT, "ended_at": AT,
                                 "cause": "camera_unreachable"}),
        "session": client.post(f"{INGEST}/recordings/{rid}/sessions", headers=other,
                               json={"started_at": AT, "case_number": "云援〔2026〕9号"}),
        "retag": client.patch(f"{INGEST}/sessions/{session_id}", headers=other,
                              json={"ended_at": AT, "stage": "closing"}),
        "marker": client.post(f"{INGEST}/recordings/{rid}/markers", headers=other,
                              json={"at": AT, "label": "forged"}),
        "close": client.post(f"{INGEST}/recordings/{rid}/close", headers=other,
                             json={"ended_at": AT}),
    }
    refused = {name: (r.status_code, r.json().get("error", {}).get("reason", r.text))
               for name, r in attempts.items()}  # a validation answer shows whole
    assert refused == dict.fromkeys(attempts, (403, "not_own_recording"))
    live = {path: client.post(f"{INGEST}/windows/{tree.window_id}/{path}", headers=other,
                              json=body)
            for path, body in (("sessions", {"case_number": "云援〔2026〕9号"}),
                               ("sessions/end", {}), ("markers", {"label": "forged"}))}
    assert {p: (r.status_code, r.json()["error"]["reason"]) for p, r in live.items()} \
        == dict.fromkeys(live, (409, "not_recording"))
    listed = client.get(f"{INGEST}/windows/{tree.window_id}/recordings", headers=other)
    assert listed.status_code == 200 and listed.json() == []
    assert snapshot(archive) == before
    # The owner still does all of it.
    assert client.patch(f"{INGEST}/sessions/{session_id}", headers=owner.headers,
                        json={"ended_at": AT}).status_code == 200
    assert owner.close().status_code == 200


def session_case(archive: Archive, session_id: str) -> tuple[str, str | None]:
    with archive.catalog.read() as db:
        session = db.get(Session, session_id)
        assert session is not None and session.case_id is not None
        case = db.get(Case, session.case_id)
        assert case is not None
        return case.id, case.jurisdiction_id


def test_case_numbers_resolve_within_the_windows_county(archive: Archive, tree: Tree,
                                                        client: TestClient) -> None:
    number = "云援〔2026〕0123号"
    gd = Uploader(client, tree.other_token, tree.other_window_id)
    gd.open()
    gd_session = client.post(f"{INGEST}/recordings/{gd.recording_id}/sessions",
                             headers=gd.headers, json={"started_at": AT, "case_number": number})
    assert gd_session.status_code == 201, gd_session.text
    gd_case, gd_place = session_case(archive, gd_session.json()["id"])
    assert gd_place == "gd"  # registered at the county, whose legal aid centre numbers cases

    wh = Uploader(client, tree.token, tree.window_id)
    wh.open()
    first = client.post(f"{INGEST}/recordings/{wh.recording_id}/sessions", headers=wh.headers,
                        json={"started_at": AT, "case_number": number})
    later = client.post(f"{INGEST}/recordings/{wh.recording_id}/sessions", headers=wh.headers,
                        json={"started_at": AT})
    retag = client.patch(f"{INGEST}/sessions/{later.json()['id']}", headers=wh.headers,
                         json={"case_number": f"  {number} "})
    assert (first.status_code, later.status_code, retag.status_code) == (201, 201, 200)
    wh_case, wh_place = session_case(archive, first.json()["id"])
    assert wh_place == "wh" and wh_case != gd_case
    assert session_case(archive, later.json()["id"]) == (wh_case, "wh")
    with archive.catalog.read() as db:
        on_gd_case = db.scalars(select(Session.window_id).where(Session.case_id == gd_case))
        assert list(on_gd_case) == [tree.other_window_id]


def device_row(archive: Archive, id: str) -> Device:
    with archive.catalog.read() as db:
        device = db.get(Device, id)
        assert device is not None
        return device


def cli(archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        *args: str) -> str:
    """Run `aidrec admin ARGS` in process; an ArchiveError propagates (main maps it to 2)."""
    config = tmp_path / "aidrec.toml"
    config.write_text(to_toml(archive.settings))
    monkeypatch.setenv("AIDREC_CONFIG", str(config))
    root = typer.Typer()
    register(root)
    result = CliRunner().invoke(root, ["admin", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_rotate_refuses_the_old_token_at_once_and_revoke_ends_the_new(
        archive: Archive, tree: Tree, client: TestClient, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    old = {"Authorization": f"Bearer {tree.token}"}
    heartbeat = f"{INGEST}/heartbeat"
    assert client.post(heartbeat, headers=old, json={"status": {}}).status_code == 204
    token = cli(archive, tmp_path, monkeypatch, "rotate-device", "wh-rec1").strip()
    assert token.startswith(registry.TOKEN_PREFIX) and token != tree.token
    refused = client.post(heartbeat, headers=old, json={"status": {}})
    assert (refused.status_code, refused.json()["error"]["reason"]) == (403, "bad_token")
    new = {"Authorization": f"Bearer {token}"}
    assert client.post(heartbeat, headers=new, json={"status": {}}).status_code == 204
    assert "revoked" in cli(archive, tmp_path, monkeypatch, "revoke-device", "wh-rec1")
    gone = client.post(heartbeat, headers=new, json={"status": {}})
    assert (gone.status_code, gone.json()["error"]["reason"]) == (403, "bad_token")
    with pytest.raises(ConflictError, match="wh-rec1 is revoked; register a new device"):
        cli(archive, tmp_path, monkeypatch, "rotate-device", "wh-rec1")
    with pytest.raises(NotFoundError, match="device no-such does not exist"):
        cli(archive, tmp_path, monkeypatch, "revoke-device", "no-such")
    assert device_row(archive, "wh-rec1").token_hash == registry.hash_token(token)


def test_an_idle_token_expires_and_use_is_recorded_at_most_hourly(
        archive: Archive, tree: Tree, client: TestClient) -> None:
    idle_days = archive.settings.archive.device_token_idle_days
    assert idle_days == 30
    headers = {"Authorization": f"Bearer {tree.token}"}
    heartbeat = f"{INGEST}/heartbeat"
    assert client.post(heartbeat, headers=headers, json={"status": {}}).status_code == 204
    first_use = device_row(archive, "wh-rec1").last_used_at
    assert first_use is not None and datetime.now(UTC) - first_use < timedelta(minutes=1)
    assert client.post(heartbeat, headers=headers, json={"status": {}}).status_code == 204
    assert device_row(archive, "wh-rec1").last_used_at == first_use  # no write per request

    with archive.catalog.write() as db:  # as if the last use was two hours ago
        device = db.get(Device, "wh-rec1")
        assert device is not None
        device.last_used_at = first_use - timedelta(hours=2)
    assert client.post(heartbeat, headers=headers, json={"status": {}}).status_code == 204
    assert device_row(archive, "wh-rec1").last_used_at > first_use  # type: ignore[operator]

    with archive.catalog.write() as db:  # unused for the whole idle time
        device = db.get(Device, "wh-rec1")
        assert device is not None
        device.last_used_at = device.token_issued_at = (
            datetime.now(UTC) - timedelta(days=idle_days, minutes=1))
    expired = client.post(heartbeat, headers=headers, json={"status": {}})
    assert expired.status_code == 403
    assert expired.json()["error"]["reason"] == "token_expired"
    assert "rotate-device wh-rec1" in expired.json()["error"]["message"]
    with archive.catalog.write() as db:
        token = registry.rotate_device(db, id="wh-rec1", now=datetime.now(UTC))
    fresh = {"Authorization": f"Bearer {token}"}
    assert client.post(heartbeat, headers=fresh, json={"status": {}}).status_code == 204
