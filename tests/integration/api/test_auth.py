"""Login sessions: cookie flags, CSRF on changes, rate limiting, expiry, logout, disabling."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.auth import throttle
from api.auth.models import LoginSession
from archive.audit import log as audit
from archive.catalog.models import User
from archive.evidence.vocabulary import Role
from tests.integration.api.conftest import PASSWORD, World

pytestmark = pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)


def login(client: TestClient, user: str, password: str = PASSWORD) -> tuple[int, str]:
    response = client.post("/api/v1/auth/login", json={"username": user, "password": password})
    return response.status_code, (response.json().get("csrf_token") or ""
                                  if response.status_code == 200 else response.text)


def test_cookie_session_with_csrf_on_changes(world: World, client: TestClient) -> None:
    user = world.people[Role.SUPERVISOR].id
    response = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    csrf = response.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").json()["user_id"] == user
    note = {"offset_ms": 500, "text": "看这里"}
    url = f"/api/v1/sessions/{world.wh.session_id}/notes"
    # A change with the cookie alone is refused (a cross-site form could send the cookie).
    refused = client.post(url, json=note)
    assert refused.status_code == 403 and refused.json()["error"]["reason"] == "csrf"
    assert client.post(url, json=note, headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    assert client.post(url, json=note, headers={"X-CSRF-Token": csrf}).status_code == 201
    # Pages carry the token for their scripts.
    page = client.get(f"/sessions/{world.wh.session_id}")
    assert f'content="{csrf}"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # Logout ends the session for good.
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_failed_logins_are_limited_and_logged(world: World, client: TestClient) -> None:
    user = world.people[Role.INSPECTOR].id
    for _ in range(world.web.login_max_failures):
        status, body = login(client, user, "wrong password!")
        assert status == 401 and "bad_credentials" in body
    # Now each try needs a wait; even the right password is refused, without being checked.
    response = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= world.web.login_delay_initial_s
    # Another person from the same address is not locked out by someone else's mistakes.
    assert login(client, world.people[Role.AUDITOR].id)[0] == 200
    # Unknown names answer exactly as wrong passwords do.
    status, body = login(client, "nobody-here", "whatever")
    assert status == 401 and "wrong name or password" in body
    # Failures reach the access log one entry per burst, once the burst has ended.
    assert _entries(world, "login_failed") == []
    later = datetime.now(UTC) + timedelta(minutes=world.web.login_window_minutes,
                                          seconds=world.web.login_delay_initial_s + 1)
    # Three bursts end: two names and the address (which refused nothing: no entry of its own).
    assert throttle.close_quiet_bursts(world.archive.catalog, now=later, web=world.web) == 3
    failed = {e.target_id: e for e in _entries(world, "login_failed")}
    assert set(failed) == {user, "nobody-here"}
    assert (failed[user].detail["failures"], failed[user].detail["refused"]) == (
        world.web.login_max_failures, 1)
    assert failed["nobody-here"].detail["failures"] == 1
    assert {e.outcome for e in failed.values()} == {"denied"}
    assert _entries(world, "login")[0].user_id == "auditor-wh"


def _entries(world: World, action: str) -> list[audit.AccessEntry]:
    with world.archive.catalog.read() as db:
        return audit.list_entries(db, where=audit.EntryFilter(scope_path="/", action=action))


def test_idle_and_disabled_sessions_end(world: World, client: TestClient) -> None:
    user = world.people[Role.SUPERVISOR].id
    assert login(client, user)[0] == 200
    with world.archive.catalog.write() as db:
        row = db.scalars(select(LoginSession).where(LoginSession.user_id == user)).one()
        row.last_seen_at = datetime.now(UTC) - timedelta(
            minutes=world.web.session_idle_minutes + 1)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401 and response.json()["error"]["reason"] == \
        "session_expired"
    # Pages send the person to the login page, and back afterwards.
    page = client.get("/complaints", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/complaints"
    assert login(client, user)[0] == 200
    with world.archive.catalog.write() as db:
        db.get_one(User, user).disabled_at = datetime.now(UTC)
    assert client.get("/api/v1/auth/me").status_code == 401
    assert login(client, user)[0] == 401


def test_login_needs_json(world: World, client: TestClient) -> None:
    """A cross-site form cannot log a victim into someone's account (no JSON without CORS)."""
    form = client.post("/api/v1/auth/login", data={
        "username": world.people[Role.SUPERVISOR].id, "password": PASSWORD})
    assert form.status_code == 422 and "set-cookie" not in form.headers
    body = json.dumps({"username": world.people[Role.SUPERVISOR].id, "password": PASSWORD})
    text_plain = client.post("/api/v1/auth/login", content=body,
                             headers={"Content-Type": "text/plain"})
    assert text_plain.status_code == 422 and "set-cookie" not in text_plain.headers


def test_login_page_never_redirects_off_site(world: World, client: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = client.get("/login", params={"next": target})
        assert 'data-next="/"' in page.text


def test_password_change_and_admin_changes_end_sessions(world: World,
                                                        client: TestClient) -> None:
    admin = world.bearer(Role.ADMIN)
    user = world.people[Role.SUPERVISOR].id
    assert login(client, user)[0] == 200
    # An administrator gives the person another role: their open sessions end. (A role of
    # the two-person rules waits for a second person: tests/integration/api/test_credentials.py)
    patch = client.patch(f"/api/v1/admin/users/{user}", json={"role": "auditor"},
                         headers=admin)
    assert patch.status_code == 200 and patch.json()["role"] == "auditor"
    assert client.get("/api/v1/auth/me").status_code == 401
    # Administrators may not lock themselves out; bad input changes nothing.
    me = world.people[Role.ADMIN].id
    refused = client.patch(f"/api/v1/admin/users/{me}", json={"disabled": True},
                           headers=admin)
    assert refused.status_code == 400 and refused.json()["error"]["reason"] == "self_change"
    # Nobody sets another person's password: the field does not exist.
    weak = client.patch(f"/api/v1/admin/users/{user}", json={"password": "a-fine-password",
                                                               "name": "不应改名"},
                        headers=admin)
    assert weak.status_code == 422 and "password" in weak.text
    with world.archive.catalog.read() as db:
        assert db.get_one(User, user).name == "张监督"
        assert db.scalar(select(func.count()).select_from(LoginSession).where(
            LoginSession.ended_at.is_(None), LoginSession.user_id == user)) == 0


def test_cli_sets_only_the_first_administrators_password(world: World, client: TestClient,
                                                         tmp_path: object) -> None:
    """`aidrec web set-password` sets a password only to bootstrap the first administrator;
    otherwise it prints a one-time link and the person chooses their own."""
    from pathlib import Path

    import typer
    from typer.testing import CliRunner

    from api import cli
    from archive.settings import to_toml

    config = Path(str(tmp_path)) / "aidrec.toml"
    config.write_text(to_toml(world.settings))
    app = typer.Typer()
    cli.register(app)
    runner = CliRunner()
    user = world.people[Role.AUDITOR].id
    shown = runner.invoke(app, ["web", "set-password", user, "--stdin", "--config",
                                str(config)], input="a-much-better-pass\n")
    assert shown.exit_code == 0, shown.output
    url = shown.output.strip().splitlines()[-1]
    assert "/activate#aidrec_act_" in url
    # The password was not set from the console; the old one stopped, and so did the token.
    assert login(client, user, "a-much-better-pass")[0] == 401
    assert login(client, user)[0] == 401
    assert client.get("/api/v1/auth/me", headers=world.bearer(Role.AUDITOR)).status_code == 401
    chosen = client.post("/api/v1/auth/activate", json={"token": url.split("#", 1)[1],
                                                        "password": "my-own-choice-7"})
    assert chosen.status_code == 204, chosen.text
    assert login(client, user, "my-own-choice-7")[0] == 200
    # While no administrator has a password, the console sets the first one's.
    admin = world.people[Role.ADMIN].id
    with world.archive.catalog.write() as db:
        db.get_one(User, admin).password_hash = None
    weak = runner.invoke(app, ["web", "set-password", admin, "--stdin", "--config",
                               str(config)], input="short\n")
    assert weak.exit_code != 0
    done = runner.invoke(app, ["web", "set-password", admin, "--stdin", "--config",
                               str(config)], input="first-admin-pass\n")
    assert done.exit_code == 0 and "first administrator" in done.output, done.output
    assert login(client, admin, "first-admin-pass")[0] == 200
    # Once one has, even an administrator gets a link.
    again = runner.invoke(app, ["web", "set-password", admin, "--stdin", "--config",
                                str(config)], input="another-admin-pass\n")
    assert again.exit_code == 0 and "/activate#" in again.output
    assert login(client, admin, "first-admin-pass")[0] == 401
    with world.archive.catalog.read() as db:
        changes = [e.detail["change"] for e in audit.list_entries(
            db, where=audit.EntryFilter(scope_path="/", action="admin"))]
    assert {"password_reset", "password_chosen_by_link", "first_admin_password"} <= set(changes)
