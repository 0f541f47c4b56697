"""No one obtains a credential for another person; role grants need a second person; tokens
expire and a new password ends them (issue 12, items 1, 2 and 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.auth.links import AccountLink
from archive.access import people as access
from archive.audit import log as audit
from archive.audit.seal import seal_head, verify_log
from archive.catalog.models import ApiToken, User
from archive.evidence.vocabulary import Role
from tests.integration.api.conftest import PASSWORD, World

pytestmark = pytest.mark.parametrize("catalog_url", ["sqlite", "postgresql"], indirect=True)


def login(client: TestClient, user: str, password: str = PASSWORD) -> int:
    return client.post("/api/v1/auth/login",
                       json={"username": user, "password": password}).status_code


def token_of(url: str) -> str:
    return url.split("#", 1)[1]


def changes(world: World, target: str) -> list[str]:
    with world.archive.catalog.read() as db:
        return [str(e.detail.get("change")) for e in reversed(audit.list_entries(
            db, where=audit.EntryFilter(scope_path="/", action="admin"), limit=500))
            if e.target_id == target]


def settle(world: World, *users: str) -> None:
    """As if the people had held their roles for a month."""
    with world.archive.catalog.write() as db:
        for user in users:
            db.get_one(User, user).role_since = datetime.now(UTC) - timedelta(days=30)


def test_no_admin_route_issues_tokens_or_sets_passwords(world: World,
                                                        client: TestClient) -> None:
    admin = world.bearer(Role.ADMIN)
    victim = world.people[Role.SUPERVISOR].id
    issued = client.post(f"/api/v1/admin/users/{victim}/tokens", json={"label": "x"},
                         headers=admin)
    assert issued.status_code in (404, 405)
    made = client.post("/api/v1/admin/users", headers=admin, json={
        "id": "pw-set", "name": "某人", "role": "supervisor", "jurisdiction_id": "wh",
        "password": "chosen-by-admin-1"})
    assert made.status_code == 422 and "password" in made.text
    patched = client.patch(f"/api/v1/admin/users/{victim}", headers=admin,
                           json={"password": "chosen-by-admin-1"})
    assert patched.status_code == 422
    with world.archive.catalog.read() as db:
        assert db.get(User, "pw-set") is None
        # Only the token the person made for themselves (the test fixture's).
        assert len(list(db.scalars(select(ApiToken).where(ApiToken.user_id == victim)))) == 1
    assert login(client, victim, "chosen-by-admin-1") == 401
    paths = client.get("/api/v1/openapi.json", headers=admin).json()["paths"]
    assert "/api/v1/admin/users/{user_id}/tokens" not in paths
    assert "/api/v1/admin/users/{user_id}/reset" in paths


def test_new_account_gets_a_one_time_activation_link(world: World,
                                                     client: TestClient) -> None:
    admin = world.bearer(Role.ADMIN)
    made = client.post("/api/v1/admin/users", headers=admin, json={
        "id": "newbie", "name": "新同事", "role": "supervisor", "jurisdiction_id": "wh"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["user"]["has_password"] is False and body["grant"] is None
    link = body["link"]
    assert link["kind"] == "activation" and body["url"] == link["url"]
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(hours=71) < expires - datetime.now(UTC) <= timedelta(hours=72)
    with world.archive.catalog.read() as db:
        stored = db.scalars(select(AccountLink).where(AccountLink.user_id == "newbie")).one()
        assert token_of(link["url"]) not in stored.token_hash  # kept only as a hash
    # The page reads the token from the fragment; the API sets the password once.
    assert client.get("/activate").status_code == 200
    weak = client.post("/api/v1/auth/activate", json={"token": token_of(link["url"]),
                                                      "password": "short"})
    assert weak.status_code == 400 and weak.json()["error"]["reason"] == "weak_password"
    used = client.post("/api/v1/auth/activate", json={"token": token_of(link["url"]),
                                                      "password": "newbie-choice-1"})
    assert used.status_code == 204, used.text
    again = client.post("/api/v1/auth/activate", json={"token": token_of(link["url"]),
                                                       "password": "someone-else-2"})
    assert again.status_code == 404 and again.json()["error"]["reason"] == "bad_link"
    assert login(client, "newbie", "someone-else-2") == 401
    assert login(client, "newbie", "newbie-choice-1") == 200
    # The person sees who made the link.
    page = client.get("/account")
    assert "刘管理" in page.text and "admin-wh" in page.text
    assert changes(world, "newbie") == ["created", "password_chosen_by_link"]


def test_reset_ends_the_old_password_sessions_and_tokens_and_is_shown(
        world: World, client: TestClient) -> None:
    admin = world.bearer(Role.ADMIN)
    person = world.people[Role.INSPECTOR]
    assert login(client, person.id) == 200
    first = client.post(f"/api/v1/admin/users/{person.id}/reset", headers=admin)
    assert first.status_code == 201 and first.json()["kind"] == "reset"
    # At once: the old password, the open session and the API token stop working.
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers=world.bearer(Role.INSPECTOR)).status_code \
        == 401
    assert login(client, person.id) == 401
    # Only the newest link works; an expired one does not.
    second = client.post(f"/api/v1/admin/users/{person.id}/reset", headers=admin).json()
    stale = client.post("/api/v1/auth/activate", json={
        "token": token_of(first.json()["url"]), "password": "inspector-new-1"})
    assert stale.status_code == 404
    with world.archive.catalog.write() as db:
        row = db.scalars(select(AccountLink).where(AccountLink.user_id == person.id,
                                                   AccountLink.revoked_at.is_(None))).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    expired = client.post("/api/v1/auth/activate", json={
        "token": token_of(second["url"]), "password": "inspector-new-1"})
    assert expired.status_code == 404 and expired.json()["error"]["reason"] == "bad_link"
    third = client.post(f"/api/v1/admin/users/{person.id}/reset", headers=admin).json()
    assert client.post("/api/v1/auth/activate", json={
        "token": token_of(third["url"]), "password": "inspector-new-1"}).status_code == 204
    # At the next login the person is told who reset the password, and when.
    assert login(client, person.id, "inspector-new-1") == 200
    board = client.get("/")
    assert board.status_code == 200 and 'id="account-notices"' in board.text
    assert "刘管理 (admin-wh)" in board.text
    # Resetting oneself is not how one changes one's own password.
    own = client.post(f"/api/v1/admin/users/{world.people[Role.ADMIN].id}/reset",
                      headers=admin)
    assert own.status_code == 400 and own.json()["error"]["reason"] == "self_change"
    assert changes(world, person.id).count("password_reset") == 3
    assert changes(world, person.id)[-1] == "password_chosen_by_link"
    # ... in the hash-chained access log, whose head is sealed.
    sealed = seal_head(world.archive, now=datetime.now(UTC))
    with world.archive.catalog.read() as db:
        assert sealed is not None and sealed.size == audit.count(db)
    assert verify_log(world.archive).ok


def test_tokens_expire_and_a_password_change_revokes_them(world: World,
                                                          client: TestClient) -> None:
    person = world.people[Role.SUPERVISOR]
    mine = {"Authorization": f"Bearer {person.token}"}
    created = client.post("/api/v1/auth/tokens", json={"label": "script"}, headers=mine)
    assert created.status_code == 201
    lifetime = datetime.fromisoformat(created.json()["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=89) < lifetime <= timedelta(days=world.web.api_token_days)
    script = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=script).status_code == 200
    with world.archive.catalog.write() as db:
        db.get_one(ApiToken, created.json()["id"]).expires_at = datetime.now(UTC)
    expired = client.get("/api/v1/auth/me", headers=script)
    assert expired.status_code == 401 and expired.json()["error"]["reason"] == "token_expired"
    # A new password revokes every token of the person.
    changed = client.put("/api/v1/auth/password", headers=mine,
                         json={"current": PASSWORD, "new": "a-new-password-9"})
    assert changed.status_code == 204
    assert client.get("/api/v1/auth/me", headers=mine).status_code == 401
    with world.archive.catalog.read() as db:
        assert all(t.revoked_at is not None for t in db.scalars(
            select(ApiToken).where(ApiToken.user_id == person.id)))


def test_admin_role_needs_a_second_independent_settled_person(world: World,
                                                              client: TestClient) -> None:
    admin = world.bearer(Role.ADMIN)
    inspector = world.bearer(Role.INSPECTOR)
    asked = client.post("/api/v1/admin/users", headers=admin, json={
        "id": "admin-two", "name": "第二管理员", "role": "admin", "jurisdiction_id": "wh"})
    assert asked.status_code == 201, asked.text
    grant = asked.json()["grant"]
    assert asked.json()["user"] is None and asked.json()["link"] is None
    assert grant["state"] == "pending" and grant["requested_by"] == "admin-wh"
    with world.archive.catalog.read() as db:
        assert db.get(User, "admin-two") is None
    url = f"/api/v1/admin/grants/{grant['id']}/approve"
    # The one who asked is not the second person, however long they have been admin.
    settle(world, "admin-wh")
    alone = client.post(url, headers=admin)
    assert alone.status_code == 403 and alone.json()["error"]["reason"] == "not_independent"
    # A promotion of an existing person waits too.
    promoted = client.patch(f"/api/v1/admin/users/{world.people[Role.AUDITOR].id}",
                            headers=admin, json={"role": "admin"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "auditor"
    assert promoted.json()["pending_grant"]["role"] == "admin"
    # An inspector (another role) made today does not count yet.
    fresh = client.post(url, headers=inspector)
    assert fresh.status_code == 403 and fresh.json()["error"]["reason"] == "too_new"
    # ... nor an administrator of the same level, settled.
    with world.archive.catalog.write() as db:
        access.create_user(db, id="admin-wh2", name="同级管理员", role=Role.ADMIN,
                           jurisdiction_id="wh")
        colleague = {"Authorization": f"Bearer {access.create_api_token(db, user_id='admin-wh2')}"}
    settle(world, "admin-wh2", world.people[Role.INSPECTOR].id)
    same = client.post(url, headers=colleague)
    assert same.status_code == 403 and same.json()["error"]["reason"] == "not_independent"
    pending = client.get("/api/v1/admin/grants", headers=inspector)
    assert pending.status_code == 200
    assert {g["user_id"] for g in pending.json()} == {"admin-two", "auditor-wh"}
    approved = client.post(url, headers=inspector)
    assert approved.status_code == 200, approved.text
    assert approved.json()["role"] == "admin" and approved.json()["has_password"] is False
    again = client.post(url, headers=inspector)
    assert again.status_code == 409
    # The new administrator gets a password only through a link.
    link = client.post("/api/v1/admin/users/admin-two/reset", headers=admin)
    assert link.status_code == 201 and link.json()["kind"] == "activation"
    assert changes(world, "admin-two") == ["grant_requested", "grant_approved",
                                           "password_reset"]
