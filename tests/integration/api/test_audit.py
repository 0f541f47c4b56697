"""The access log as evidence: every media request logged with its reason, append-only,
hash-chained, its head sealed and verified by `aidrec audit verify`; tampering is found."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from archive.audit import log as audit
from archive.audit.seal import seal_head, verify_log
from archive.cli import audit as audit_cli
from archive.evidence.vocabulary import Role
from archive.settings import to_toml
from tests.integration.api.conftest import World


def _play(client: TestClient, world: World, *, role: Role = Role.SUPERVISOR,
          reason: tuple[str, str] = ("complaint", "")) -> dict[str, object]:
    kind, ref = reason
    body = {"session_id": world.wh.session_id, "reason_kind": kind,
            "reason_ref": ref or world.wh.complaint_number}
    response = client.post("/api/v1/playback", json=body, headers=world.bearer(role))
    assert response.status_code == 201, response.text
    grant: dict[str, object] = response.json()
    return grant


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_every_media_request_is_logged_with_who_and_why(world: World,
                                                         client: TestClient) -> None:
    headers = world.bearer(Role.SUPERVISOR)
    grant = _play(client, world)
    requested = [str(grant["playlist_url"])]
    for segment in grant["segments"]:  # type: ignore[attr-defined]
        for _ in range(2):  # a player may fetch a segment again: each fetch is logged
            response = client.get(segment["url"], headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"] == "video/mp2t"
            requested.append(segment["url"])
    assert client.get(requested[0], headers=headers).text.startswith("#EXTM3U")
    # Another person's attempt to use the grant is refused, and logged as denied.
    other = client.get(requested[1], headers=world.bearer(Role.INSPECTOR))
    assert other.status_code == 404
    with world.archive.catalog.read() as db:
        entries = audit.list_entries(db, where=audit.EntryFilter(
            scope_path="/", session_id=world.wh.session_id), limit=100)
        denied = audit.list_entries(db, where=audit.EntryFilter(
            scope_path="/", user_id=world.people[Role.INSPECTOR].id, action="segment"))
    media = [e for e in entries if e.target_type == "playback" and e.outcome == "ok"]
    # One entry per request: the playlist (view) twice counted once each, segments each.
    assert len([e for e in media if e.action == "segment"]) == len(requested) - 1
    assert len([e for e in media if e.action == "view"]) == 1
    for entry in media:
        assert entry.user_id == world.people[Role.SUPERVISOR].id
        assert (entry.reason_kind, entry.reason_ref) == ("complaint",
                                                         world.wh.complaint_number)
        assert entry.ip == "testclient" and entry.scope_path.startswith("/yn/km/wh/")
    (play,) = [e for e in entries if e.action == "play"]
    assert play.detail["playback"] == grant["id"]
    assert denied and denied[0].outcome == "denied"


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_reasons_are_required_and_checked(world: World, client: TestClient) -> None:
    headers = world.bearer(Role.INSPECTOR)
    for body, reason in (
            ({"reason_kind": "complaint", "reason_ref": ""}, "reason_ref_missing"),
            ({"reason_kind": "inspection", "reason_ref": "  "}, "reason_ref_missing"),
            ({"reason_kind": "complaint", "reason_ref": "投诉〔1999〕9999号"},
             "unknown_complaint"),
            # A complaint of another county is not a reason to watch this one.
            ({"reason_kind": "complaint", "reason_ref": world.gd.complaint_number},
             "unknown_complaint")):
        response = client.post("/api/v1/playback", headers=headers,
                               json={"session_id": world.wh.session_id, **body})
        assert response.status_code == 400 and response.json()["error"]["reason"] == reason
    response = client.post("/api/v1/playback", headers=headers,
                           json={"session_id": world.wh.session_id, "reason_kind": "because"})
    assert response.status_code == 422
    with world.archive.catalog.read() as db:
        assert not audit.list_entries(db, where=audit.EntryFilter(
            scope_path="/", action="play"))  # nothing refused was logged as a playback


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_viewers_of_a_session(world: World, client: TestClient) -> None:
    _play(client, world, role=Role.SUPERVISOR)
    _play(client, world, role=Role.INSPECTOR, reason=("inspection", "纪检〔2026〕3号"))
    viewers = client.get(f"/api/v1/sessions/{world.wh.session_id}/viewers",
                         headers=world.bearer(Role.AUDITOR)).json()
    by_user = {v["user_id"]: v for v in viewers}
    assert set(by_user) == {world.people[Role.SUPERVISOR].id, world.people[Role.INSPECTOR].id}
    assert by_user[world.people[Role.INSPECTOR].id]["reasons"] == ["inspection:纪检〔2026〕3号"]
    assert by_user[world.people[Role.INSPECTOR].id]["name"] == "赵纪检"
    # The auditor's own reading is logged too, but is not "watching".
    page = client.get("/api/v1/audit/entries", params={"action": "audit"},
                      headers=world.bearer(Role.AUDITOR)).json()
    assert page["entries"][0]["user_id"] == world.people[Role.AUDITOR].id


def _cli(world: World, tmp_path: Path, *args: str) -> tuple[int, str]:
    config = tmp_path / "aidrec.toml"
    config.write_text(to_toml(world.settings))
    app = typer.Typer()
    audit_cli.register(app)
    result = CliRunner().invoke(app, ["audit", *args, "--config", str(config)])
    return result.exit_code, result.output


def test_chain_sealed_and_verified_then_tampering_found(world: World, client: TestClient,
                                                        tmp_path: Path) -> None:
    _play(client, world)
    code, out = _cli(world, tmp_path, "seal")
    assert code == 0 and "sealed head" in out, out
    assert seal_head(world.archive, now=datetime.now(UTC)) is None  # nothing new
    _play(client, world)  # entries after the seal: fine, sealed tomorrow
    code, out = _cli(world, tmp_path, "verify")
    assert code == 0 and "the access log is whole" in out, out
    assert "entries after the latest" in out

    catalog = world.archive.catalog
    # The database itself refuses to change or remove an entry.
    for statement in ("UPDATE access_log SET reason_ref = 'x' WHERE seq = 2",
                      "DELETE FROM access_log WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"), catalog.write() as db:
            db.execute(text(statement))
    # access_log_entry_edited_by_dba: the owner drops the guard and rewrites a reason.
    _drop_guards(world)
    with catalog.write() as db:
        db.execute(text("UPDATE access_log SET reason_ref = '日常' WHERE seq = 1"))
    report = verify_log(world.archive)
    assert not report.ok
    assert any(c.name == "chain" and not c.ok and "entry 1" in c.subject
               for c in report.checks), report.to_json()
    code, out = _cli(world, tmp_path, "verify")
    assert code == 1 and "FAIL" in out


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_rewritten_tail_after_a_seal_is_found(world: World, client: TestClient) -> None:
    """access_log_truncated_after_seal: entries removed and the chain rebuilt consistently
    still contradict the signed head."""
    _play(client, world)
    sealed = seal_head(world.archive, now=datetime.now(UTC))
    assert sealed is not None and verify_log(world.archive).ok
    _drop_guards(world)
    with world.archive.catalog.write() as db:
        db.execute(text("DELETE FROM access_log WHERE seq >= :n"), {"n": sealed.size - 1})
    report = verify_log(world.archive)
    assert not report.ok
    assert any("entries were removed" in c.detail for c in report.checks), report.to_json()


def _drop_guards(world: World) -> None:
    with world.archive.catalog.write() as db:
        if world.archive.catalog.is_sqlite:
            db.execute(text("DROP TRIGGER access_log_no_update"))
            db.execute(text("DROP TRIGGER access_log_no_delete"))
        else:
            db.execute(text("DROP TRIGGER access_log_no_change ON access_log"))
