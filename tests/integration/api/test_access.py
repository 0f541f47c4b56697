"""Every endpoint, tried by every role, inside (wh) and outside (gd) their jurisdiction.

The list of endpoints comes from the app itself: a new route without an expectation here
fails `test_every_route_has_an_expectation`, so nothing ships without an access rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api import roles
from api.complaints import service as complaints_service
from archive.access import people as access
from archive.access import registry
from archive.access.people import principal_of
from archive.catalog.models import User
from archive.evidence.vocabulary import Role
from tests.integration.api.conftest import PASSWORD, World

ALL = tuple(Role)
_counter = itertools.count(1)


def fresh(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


@dataclass(frozen=True)
class Call:
    path: str
    json: dict[str, Any] | None = None


# A builder makes the request for a role, against the wh (inside) or gd (outside) objects.
Builder = Callable[[World, Role, str], Call]


@dataclass(frozen=True)
class Rule:
    allowed: tuple[Role, ...]
    ok: int
    outside: int | None  # what an allowed role gets for the other county; None: no such call
    build: Builder


def _ev(world: World, county: str) -> Any:
    return world.wh if county == "wh" else world.gd


def _complaint(world: World, county: str, *, accepted: bool = False) -> str:
    """A fresh complaint in a county (registered by someone who may)."""
    archive = world.archive
    creator = world.people[Role.SUPERVISOR].id if county == "wh" else "supervisor-gd"
    with archive.catalog.read() as db:
        principal = principal_of(db, db.get_one(User, creator))
    now = datetime.now(UTC)
    cid = complaints_service.register(archive.catalog, principal, new=(
        complaints_service.NewComplaint(complainant="甲", summary="事项",
                                        received_on=now.date(), jurisdiction_id=county)),
        web=world.web, now=now)
    if accepted:
        with archive.catalog.write() as db:
            complaints_service.accept(db, principal, cid, now=now)
    return cid


def _grant(world: World, role: Role, county: str) -> str:
    """The person's own playback grant (a supervisor's for roles that cannot play); in gd,
    someone else's grant on a recording out of scope."""
    from api.playback import service as playback
    from api.sessions.service import session_range
    from archive.catalog.models import Recording, Session

    player = role if role in roles.EVIDENCE else Role.SUPERVISOR
    creator = world.people[player].id if county == "wh" else "supervisor-gd"
    ev = _ev(world, county)
    with world.archive.catalog.write() as db:
        principal = principal_of(db, db.get_one(User, creator))
        session = db.get_one(Session, ev.session_id)
        start, end = session_range(session, db.get_one(Recording, session.recording_id),
                                   datetime.now(UTC))
        grant, _, _ = playback.create_grant(
            db, principal, recording_id=ev.recording_id, start=start, end=end,
            session_id=ev.session_id, reason=playback.Reason("routine", ""),
            now=datetime.now(UTC), minutes=10)
        return grant.id


def _own_token(world: World, role: Role, county: str) -> str:
    from sqlalchemy import select

    from archive.catalog.models import ApiToken

    owner = world.people[role].id if county == "wh" else "supervisor-gd"
    with world.archive.catalog.write() as db:
        token = access.create_api_token(db, user_id=owner, label="to revoke")
        return db.scalars(select(ApiToken.id).where(
            ApiToken.token_hash == registry.hash_token(token))).one()


def _device(world: World, county: str) -> str:
    device_id = fresh(f"dev-{county}-")
    with world.archive.catalog.write() as db:
        registry.create_device(db, id=device_id, name="x", jurisdiction_id=f"{county}-s1")
    return device_id


S = "/api/v1/sessions"
RULES: dict[str, Rule] = {
    "POST /api/v1/auth/logout": Rule(ALL, 204, None, lambda w, r, c: Call("/api/v1/auth/logout")),
    "GET /api/v1/auth/me": Rule(ALL, 200, None, lambda w, r, c: Call("/api/v1/auth/me")),
    "PUT /api/v1/auth/password": Rule(ALL, 204, None, lambda w, r, c: Call(
        "/api/v1/auth/password", {"current": PASSWORD, "new": PASSWORD})),
    "GET /api/v1/auth/tokens": Rule(ALL, 200, None, lambda w, r, c: Call("/api/v1/auth/tokens")),
    "POST /api/v1/auth/tokens": Rule(ALL, 201, None, lambda w, r, c: Call(
        "/api/v1/auth/tokens", {"label": "x"})),
    "DELETE /api/v1/auth/tokens/{token_id}": Rule(ALL, 204, 404, lambda w, r, c: Call(
        f"/api/v1/auth/tokens/{_own_token(w, r, c)}")),
    "GET /api/v1/audit/entries": Rule(roles.AUDIT, 200, None, lambda w, r, c: Call(
        f"/api/v1/audit/entries?session={_ev(w, c).session_id}")),
    "GET /api/v1/audit/heads": Rule(roles.AUDIT, 200, None, lambda w, r, c: Call(
        "/api/v1/audit/heads")),
    f"GET {S}": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(f"{S}?jurisdiction={c}")),
    f"GET {S}/{{session_id}}": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}")),
    f"GET {S}/{{session_id}}/transcript": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/transcript")),
    f"GET {S}/{{session_id}}/viewers": Rule(roles.VIEWERS, 200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/viewers")),
    "POST /api/v1/playback": Rule(roles.EVIDENCE, 201, 404, lambda w, r, c: Call(
        "/api/v1/playback", {"session_id": _ev(w, c).session_id, "reason_kind": "inspection",
                             "reason_ref": "纪检〔2026〕7号"})),
    "GET /api/v1/playback/{grant_id}/index.m3u8": Rule(roles.EVIDENCE, 200, 404,
                                                       lambda w, r, c: Call(
        f"/api/v1/playback/{_grant(w, r, c)}/index.m3u8")),
    "GET /api/v1/playback/{grant_id}/segments/{seq}.ts": Rule(roles.EVIDENCE, 200, 404,
                                                              lambda w, r, c: Call(
        f"/api/v1/playback/{_grant(w, r, c)}/segments/1.ts")),
    "GET /api/v1/checklist": Rule(roles.EVIDENCE, 200, None, lambda w, r, c: Call(
        "/api/v1/checklist")),
    f"POST {S}/{{session_id}}/reviews": Rule(roles.REVIEW, 201, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/reviews",
        {"scores": {i.id: 2 for i in w.web.checklist}, "comment": "好"})),
    f"GET {S}/{{session_id}}/reviews": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/reviews")),
    f"POST {S}/{{session_id}}/notes": Rule(roles.NOTE, 201, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/notes", {"offset_ms": 1000, "text": "注意"})),
    f"GET {S}/{{session_id}}/notes": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/notes")),
    "GET /api/v1/complaints": Rule(roles.COMPLAINT_READ, 200, None, lambda w, r, c: Call(
        "/api/v1/complaints")),
    "POST /api/v1/complaints": Rule(roles.COMPLAINT_WRITE, 201, 404, lambda w, r, c: Call(
        "/api/v1/complaints", {"complainant": "乙", "summary": "态度差", "jurisdiction_id": c})),
    "GET /api/v1/complaints/{complaint_id}": Rule(roles.COMPLAINT_READ, 200, 404,
                                                  lambda w, r, c: Call(
        f"/api/v1/complaints/{_ev(w, c).complaint_id}")),
    "POST /api/v1/complaints/{complaint_id}/accept": Rule(roles.COMPLAINT_WRITE, 200, 404,
                                                          lambda w, r, c: Call(
        f"/api/v1/complaints/{_complaint(w, c)}/accept")),
    "POST /api/v1/complaints/{complaint_id}/sessions": Rule(roles.COMPLAINT_LINK, 201, 404,
                                                            lambda w, r, c: Call(
        f"/api/v1/complaints/{_complaint(w, c)}/sessions",
        {"session_id": _ev(w, c).session_id})),
    "POST /api/v1/complaints/{complaint_id}/close": Rule(roles.COMPLAINT_WRITE, 200, 404,
                                                         lambda w, r, c: Call(
        f"/api/v1/complaints/{_complaint(w, c, accepted=True)}/close",
        {"outcome": "unsubstantiated", "note": "经查不属实"})),
    "GET /api/v1/cases": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"/api/v1/cases?number={_ev(w, c).case_number}")),
    "GET /api/v1/cases/{case_id}": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"/api/v1/cases/{_ev(w, c).case_id}")),
    "GET /api/v1/windows": Rule(roles.TIMELINE, 200, None, lambda w, r, c: Call(
        "/api/v1/windows")),
    "GET /api/v1/windows/{window_id}/day": Rule(roles.TIMELINE, 200, 404, lambda w, r, c: Call(
        f"/api/v1/windows/{c}-w1/day?day={_ev(w, c).started_at.date()}")),
    "GET /api/v1/dashboard": Rule(ALL, 200, None, lambda w, r, c: Call("/api/v1/dashboard")),
    "GET /api/v1/admin/jurisdictions": Rule(roles.ADMIN, 200, None, lambda w, r, c: Call(
        "/api/v1/admin/jurisdictions")),
    "POST /api/v1/admin/jurisdictions": Rule(roles.ADMIN, 201, 404, lambda w, r, c: Call(
        "/api/v1/admin/jurisdictions", {"id": fresh("st"), "name": "新站",
                                        "level": "station", "parent_id": c})),
    "GET /api/v1/admin/windows": Rule(roles.ADMIN, 200, None, lambda w, r, c: Call(
        "/api/v1/admin/windows")),
    "POST /api/v1/admin/windows": Rule(roles.ADMIN, 201, 404, lambda w, r, c: Call(
        "/api/v1/admin/windows", {"id": fresh("win"), "name": "2号窗口",
                                  "jurisdiction_id": f"{c}-s1"})),
    "GET /api/v1/admin/devices": Rule(roles.ADMIN, 200, None, lambda w, r, c: Call(
        "/api/v1/admin/devices")),
    "POST /api/v1/admin/devices": Rule(roles.ADMIN, 201, 404, lambda w, r, c: Call(
        "/api/v1/admin/devices", {"id": fresh("dev"), "name": "录制盒",
                                  "jurisdiction_id": f"{c}-s1"})),
    "POST /api/v1/admin/devices/{device_id}/token": Rule(roles.ADMIN, 200, 404,
                                                         lambda w, r, c: Call(
        f"/api/v1/admin/devices/{_device(w, c)}/token")),
    "POST /api/v1/admin/devices/{device_id}/revoke": Rule(roles.ADMIN, 200, 404,
                                                          lambda w, r, c: Call(
        f"/api/v1/admin/devices/{_device(w, c)}/revoke")),
    "GET /api/v1/admin/users": Rule(roles.ADMIN, 200, None, lambda w, r, c: Call(
        "/api/v1/admin/users")),
    "POST /api/v1/admin/users": Rule(roles.ADMIN, 201, 404, lambda w, r, c: Call(
        "/api/v1/admin/users", {"id": fresh("u"), "name": "新人", "role": "supervisor",
                                "jurisdiction_id": c})),
    "PATCH /api/v1/admin/users/{user_id}": Rule(roles.ADMIN, 200, 404, lambda w, r, c: Call(
        f"/api/v1/admin/users/{'supervisor-wh' if c == 'wh' else 'supervisor-gd'}",
        {"name": "改名"})),
    "POST /api/v1/admin/users/{user_id}/tokens": Rule(roles.ADMIN, 201, 404,
                                                      lambda w, r, c: Call(
        f"/api/v1/admin/users/{'auditor-wh' if c == 'wh' else 'supervisor-gd'}/tokens",
        {"label": "script"})),
    # Transcript search belongs to transcription; its own role rule (admins may search).
    "GET /api/v1/search": Rule((Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN), 200, 404,
                               lambda w, r, c: Call(f"/api/v1/search?q=收费&jurisdiction={c}")),
    "GET /api/v1/search/queue": Rule((Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN), 200, None,
                                     lambda w, r, c: Call("/api/v1/search/queue")),
    "GET /api/v1/openapi.json": Rule(ALL, 200, None, lambda w, r, c: Call(
        "/api/v1/openapi.json")),
    # Pages: a person's browser; the same rules, answered as HTML.
    "GET /": Rule(ALL, 200, None, lambda w, r, c: Call("/")),
    "GET /account": Rule(ALL, 200, None, lambda w, r, c: Call("/account")),
    "GET /windows/{window_id}": Rule(roles.TIMELINE, 303, None, lambda w, r, c: Call(
        f"/windows/{c}-w1")),
    "GET /windows/{window_id}/days/{day}": Rule(roles.TIMELINE, 200, 404, lambda w, r, c: Call(
        f"/windows/{c}-w1/days/{_ev(w, c).started_at.date()}")),
    "GET /sessions/{session_id}": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"/sessions/{_ev(w, c).session_id}")),
    "GET /cases/{case_id}": Rule(roles.EVIDENCE, 200, 404, lambda w, r, c: Call(
        f"/cases/{_ev(w, c).case_id}")),
    "GET /search": Rule(roles.EVIDENCE, 200, None, lambda w, r, c: Call("/search?q=收费")),
    "GET /complaints": Rule(roles.COMPLAINT_READ, 200, None, lambda w, r, c: Call(
        "/complaints")),
    "GET /complaints/new": Rule(roles.COMPLAINT_WRITE, 200, 404, lambda w, r, c: Call(
        f"/complaints/new?session={_ev(w, c).session_id}")),
    "GET /complaints/{complaint_id}": Rule(roles.COMPLAINT_READ, 200, 404, lambda w, r, c: Call(
        f"/complaints/{_ev(w, c).complaint_id}")),
    "GET /audit": Rule(roles.AUDIT, 200, None, lambda w, r, c: Call(
        f"/audit?session={_ev(w, c).session_id}")),
    "GET /admin": Rule(roles.ADMIN, 200, None, lambda w, r, c: Call("/admin")),
}
PUBLIC = {"GET /healthz", "POST /api/v1/auth/login", "GET /login"}
DEVICE_PREFIXES = ("/api/v1/ingest/", "/api/v1/live/")
# Areas whose role rules belong to their owners (retention: issue 7, exports: issue 6). Here
# they must declare authentication, refuse callers without credentials and never fail with a
# 5xx for any role; their owners add their per-role rules to RULES.
FOREIGN_PREFIXES = ("/api/v1/retention/", "/api/v1/exports")


def app_routes(client: TestClient) -> dict[str, str | None]:
    """'METHOD path' -> the policy create_app recorded, for every API route of the app."""
    routes = {}
    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(context.original_route, APIRoute):
            for method in context.methods or ():
                routes[f"{method} {context.path}"] = \
                    client.app.state.policies[  # type: ignore[attr-defined]
                        f"{','.join(sorted(context.methods or ()))} {context.path}"]
    return routes


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_every_route_has_an_expectation(client: TestClient) -> None:
    routes = app_routes(client)
    device = {k for k in routes if k.split(" ", 1)[1].startswith(DEVICE_PREFIXES)}
    foreign = {k for k in routes if k.split(" ", 1)[1].startswith(FOREIGN_PREFIXES)}
    unknown = set(routes) - set(RULES) - PUBLIC - device - foreign
    assert not unknown, f"routes without an access expectation: {sorted(unknown)}"
    assert not set(RULES) - set(routes), "expectations for routes that do not exist"
    # Deny by default: every route declares how it authenticates.
    assert all(routes.values()), [k for k, v in routes.items() if v is None]
    assert {k for k, v in routes.items() if v == "public"} == PUBLIC
    assert all(routes[k] == "device" for k in device)
    assert all(routes[k] == "person" for k in foreign)


def _send(client: TestClient, method: str, call: Call,
          headers: dict[str, str]) -> tuple[int, str]:
    response = client.request(method, call.path, json=call.json, headers=headers,
                              follow_redirects=False)
    return response.status_code, response.text


def test_each_role_inside_and_outside(world: World, client: TestClient) -> None:
    failures = []
    for key, rule in RULES.items():
        method = key.split(" ", 1)[0]
        for role in Role:
            headers = world.bearer(role)
            expected_in = rule.ok if role in rule.allowed else 403
            status, text = _send(client, method, rule.build(world, role, "wh"), headers)
            if status != expected_in:
                failures.append(f"{key} as {role.value} inside: {status}, expected "
                                f"{expected_in}: {text[:160]}")
            if rule.outside is not None:
                expected_out = rule.outside if role in rule.allowed else 403
                status, text = _send(client, method, rule.build(world, role, "gd"), headers)
                if status != expected_out:
                    failures.append(f"{key} as {role.value} outside: {status}, expected "
                                    f"{expected_out}: {text[:160]}")
                assert "Traceback" not in text
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_nobody_and_wrong_credentials(world: World, client: TestClient) -> None:
    """No credentials: 401 on the API, the login page for pages; a device token is no
    person's token; a person's token is no device's; no error leaks a trace."""
    device_token = {"Authorization": f"Bearer {world.tree.token}"}
    person_token = world.bearer(Role.SUPERVISOR)
    for key, rule in RULES.items():
        method, _ = key.split(" ", 1)
        call = rule.build(world, Role.SUPERVISOR, "wh")
        status, text = _send(client, method, call, {})
        if call.path.startswith("/api/"):
            assert status == 401, (key, status, text)
            assert '"not_authenticated"' in text or "no_credentials" in text
        else:
            assert status == 303, (key, status)
        status, _ = _send(client, method, call, device_token)
        assert status == (401 if call.path.startswith("/api/") else 303), key
    for key in app_routes(client):
        method, path = key.split(" ", 1)
        if path.startswith(FOREIGN_PREFIXES):
            assert client.request(method, path, json={}).status_code == 401, key
            if method == "GET" and "{" not in path:
                for role in Role:
                    response = client.get(path, headers=world.bearer(role))
                    assert response.status_code < 500, (key, role, response.text[:200])
        if path.startswith(DEVICE_PREFIXES):
            concrete = path.replace("{recording_id}", world.wh.recording_id).replace(
                "{seq}", "0").replace("{session_id}", world.wh.session_id).replace(
                "{window_id}", "wh-w1")
            assert client.request(method, concrete, json={}).status_code == 403, key
            response = client.request(method, concrete, json={}, headers=person_token)
            assert response.status_code == 403, key


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_prefecture_supervisor_sees_both_counties(world: World, client: TestClient) -> None:
    from tests.integration.api.conftest import add_person

    person = add_person(world.archive, id="sup-km", role=Role.SUPERVISOR,
                        jurisdiction_id="km", name="市监督")
    headers = {"Authorization": f"Bearer {person.token}"}
    for ev in (world.wh, world.gd):
        assert client.get(f"{S}/{ev.session_id}", headers=headers).status_code == 200
    listed = client.get(f"{S}?day={world.wh.started_at.date()}", headers=headers).json()
    assert {s["id"] for s in listed} >= {world.wh.session_id, world.gd.session_id}
