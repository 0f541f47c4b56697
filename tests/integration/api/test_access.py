"""Every endpoint, tried by every role, inside (wh) and outside (gd) their jurisdiction.

The list of endpoints comes from the app itself and who may call each one from the duty table
(`archive.access.duties.DUTIES`, through the action each route names in `api.roles.ROUTES`):
a role the table gives the action must not be refused, every other role must get 403. A new
route without an action or without a request here fails `test_every_route_has_an_expectation`,
so nothing ships without an access rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api import roles
from api.complaints import service as complaints_service
from archive.access import people as access
from archive.access import registry
from archive.access.duties import Action
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
    ok: int | None  # what an allowed role gets; None: anything but 403 and 5xx
    outside: int | None  # what an allowed role gets for the other county; None: no such call
    build: Builder
    province: bool = False  # call as a person of the same role at the province (yn)


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
    from api.audit.reasons import Reason
    from api.playback import service as playback
    from api.sessions.service import session_range
    from archive.catalog.models import Recording, Session

    player = role if roles.may(role, Action.PLAY) else Role.SUPERVISOR
    creator = world.people[player].id if county == "wh" else "supervisor-gd"
    ev = _ev(world, county)
    with world.archive.catalog.write() as db:
        principal = principal_of(db, db.get_one(User, creator))
        session = db.get_one(Session, ev.session_id)
        start, end = session_range(session, db.get_one(Recording, session.recording_id),
                                   datetime.now(UTC))
        grant, _, _ = playback.create_grant(
            db, principal, recording_id=ev.recording_id, start=start, end=end,
            session_id=ev.session_id, reason=Reason("routine", ""),
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


def _hold(world: World, county: str, *, settled: bool = False) -> str:
    """A fresh inspection hold on the county's session, placed by its supervisor; `settled`:
    everyone has held their role long enough to be the second person who releases it."""
    from sqlalchemy import update

    from retention.holds import HoldTargets, place_hold
    from retention.models import HoldKind

    if settled:
        with world.archive.catalog.write() as db:
            db.execute(update(User).values(role_since=datetime.now(UTC) - timedelta(days=60)))
    creator = world.people[Role.SUPERVISOR].id if county == "wh" else "supervisor-gd"
    with world.archive.catalog.read() as db:
        principal = principal_of(db, db.get_one(User, creator))
    view = place_hold(world.archive, principal=principal, kind=HoldKind.INSPECTION,
                      reference="纪检〔2026〕8号", reason="核查", now=datetime.now(UTC),
                      targets=HoldTargets((), (_ev(world, county).session_id,), ()))
    return view.hold.id


def _user(world: World, county: str) -> str:
    """A fresh supervisor in the county (a reset ends their tokens, so never a test's own)."""
    user_id = fresh(f"sup-{county}-")
    with world.archive.catalog.write() as db:
        access.create_user(db, id=user_id, name="新人", role=Role.SUPERVISOR,
                           jurisdiction_id=county, password_hash="x")
    return user_id


def _province_bearer(world: World, role: Role) -> dict[str, str]:
    """A person of `role` at the province (yn), made once per world."""
    from tests.integration.api.conftest import add_person

    key = f"province-{role.value}"
    if key not in world.extra:
        world.extra[key] = add_person(world.archive, id=f"{role.value.replace('_', '')}-yn",
                                      role=role, jurisdiction_id="yn", name="省级").token
    return {"Authorization": f"Bearer {world.extra[key]}"}


S = "/api/v1/sessions"
R = "/api/v1/retention"
NO_JOB = "0" * 32
RULES: dict[str, Rule] = {
    "POST /api/v1/auth/logout": Rule(204, None, lambda w, r, c: Call("/api/v1/auth/logout")),
    "GET /api/v1/auth/me": Rule(200, None, lambda w, r, c: Call("/api/v1/auth/me")),
    "GET /api/v1/auth/tokens": Rule(200, None, lambda w, r, c: Call("/api/v1/auth/tokens")),
    "POST /api/v1/auth/tokens": Rule(201, None, lambda w, r, c: Call(
        "/api/v1/auth/tokens", {"label": "x"})),
    "DELETE /api/v1/auth/tokens/{token_id}": Rule(204, 404, lambda w, r, c: Call(
        f"/api/v1/auth/tokens/{_own_token(w, r, c)}")),
    "GET /api/v1/audit/entries": Rule(200, None, lambda w, r, c: Call(
        f"/api/v1/audit/entries?session={_ev(w, c).session_id}")),
    "GET /api/v1/audit/heads": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/audit/heads")),
    f"GET {S}": Rule(200, 404, lambda w, r, c: Call(f"{S}?jurisdiction={c}")),
    f"GET {S}/{{session_id}}": Rule(200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}")),
    f"GET {S}/{{session_id}}/transcript": Rule(200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/transcript?reason_kind=routine")),
    f"GET {S}/{{session_id}}/viewers": Rule(200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/viewers")),
    "POST /api/v1/playback": Rule(201, 404, lambda w, r, c: Call(
        "/api/v1/playback", {"session_id": _ev(w, c).session_id, "reason_kind": "inspection",
                             "reason_ref": "纪检〔2026〕7号"})),
    "GET /api/v1/playback/{grant_id}/index.m3u8": Rule(200, 404,
                                                       lambda w, r, c: Call(
        f"/api/v1/playback/{_grant(w, r, c)}/index.m3u8")),
    "GET /api/v1/playback/{grant_id}/segments/{seq}.ts": Rule(200, 404,
                                                              lambda w, r, c: Call(
        f"/api/v1/playback/{_grant(w, r, c)}/segments/1.ts")),
    "GET /api/v1/checklist": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/checklist")),
    f"POST {S}/{{session_id}}/reviews": Rule(201, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/reviews",
        {"scores": {i.id: 2 for i in w.web.checklist}, "comment": "好"})),
    f"GET {S}/{{session_id}}/reviews": Rule(200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/reviews")),
    f"POST {S}/{{session_id}}/notes": Rule(201, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/notes", {"offset_ms": 1000, "text": "注意"})),
    f"GET {S}/{{session_id}}/notes": Rule(200, 404, lambda w, r, c: Call(
        f"{S}/{_ev(w, c).session_id}/notes")),
    "GET /api/v1/complaints": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/complaints")),
    "POST /api/v1/complaints": Rule(201, 404, lambda w, r, c: Call(
        "/api/v1/complaints", {"complainant": "乙", "summary": "态度差", "jurisdiction_id": c})),
    "GET /api/v1/complaints/{complaint_id}": Rule(200, 404,
                                                  lambda w, r, c: Call(
        f"/api/v1/complaints/{_ev(w, c).complaint_id}")),
    "POST /api/v1/complaints/{complaint_id}/accept": Rule(200, 404,
                                                          lambda w, r, c: Call(
        f"/api/v1/complaints/{_complaint(w, c)}/accept")),
    "POST /api/v1/complaints/{complaint_id}/sessions": Rule(201, 404,
                                                            lambda w, r, c: Call(
        f"/api/v1/complaints/{_complaint(w, c)}/sessions",
        {"session_id": _ev(w, c).session_id})),
    "POST /api/v1/complaints/{complaint_id}/close": Rule(200, 404,
                                                         lambda w, r, c: Call(
        f"/api/v1/complaints/{_complaint(w, c, accepted=True)}/close",
        {"outcome": "unsubstantiated", "note": "经查不属实"})),
    "GET /api/v1/cases": Rule(200, 404, lambda w, r, c: Call(
        f"/api/v1/cases?number={_ev(w, c).case_number}")),
    "GET /api/v1/cases/{case_id}": Rule(200, 404, lambda w, r, c: Call(
        f"/api/v1/cases/{_ev(w, c).case_id}")),
    "GET /api/v1/windows": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/windows")),
    "GET /api/v1/windows/{window_id}/day": Rule(200, 404, lambda w, r, c: Call(
        f"/api/v1/windows/{c}-w1/day?day={_ev(w, c).started_at.date()}")),
    "GET /api/v1/dashboard": Rule(200, None, lambda w, r, c: Call("/api/v1/dashboard")),
    "GET /api/v1/admin/jurisdictions": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/admin/jurisdictions")),
    "POST /api/v1/admin/jurisdictions": Rule(201, 404, lambda w, r, c: Call(
        "/api/v1/admin/jurisdictions", {"id": fresh("st"), "name": "新站",
                                        "level": "station", "parent_id": c})),
    "GET /api/v1/admin/windows": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/admin/windows")),
    "POST /api/v1/admin/windows": Rule(201, 404, lambda w, r, c: Call(
        "/api/v1/admin/windows", {"id": fresh("win"), "name": "2号窗口",
                                  "jurisdiction_id": f"{c}-s1"})),
    "GET /api/v1/admin/devices": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/admin/devices")),
    "POST /api/v1/admin/devices": Rule(201, 404, lambda w, r, c: Call(
        "/api/v1/admin/devices", {"id": fresh("dev"), "name": "录制盒",
                                  "jurisdiction_id": f"{c}-s1"})),
    "POST /api/v1/admin/devices/{device_id}/token": Rule(200, 404,
                                                         lambda w, r, c: Call(
        f"/api/v1/admin/devices/{_device(w, c)}/token")),
    "POST /api/v1/admin/devices/{device_id}/revoke": Rule(200, 404,
                                                          lambda w, r, c: Call(
        f"/api/v1/admin/devices/{_device(w, c)}/revoke")),
    "GET /api/v1/admin/users": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/admin/users")),
    "POST /api/v1/admin/users": Rule(201, 404, lambda w, r, c: Call(
        "/api/v1/admin/users", {"id": fresh("u"), "name": "新人", "role": "supervisor",
                                "jurisdiction_id": c})),
    "PATCH /api/v1/admin/users/{user_id}": Rule(200, 404, lambda w, r, c: Call(
        f"/api/v1/admin/users/{'supervisor-wh' if c == 'wh' else 'supervisor-gd'}",
        {"name": "改名"})),
    "POST /api/v1/admin/users/{user_id}/reset": Rule(201, 404, lambda w, r, c: Call(
        f"/api/v1/admin/users/{_user(w, c)}/reset")),
    "GET /api/v1/admin/grants": Rule(200, None, lambda w, r, c: Call("/api/v1/admin/grants")),
    "POST /api/v1/admin/grants/{grant_id}/approve": Rule(None, None, lambda w, r, c: Call(
        f"/api/v1/admin/grants/{NO_JOB}/approve")),
    # Search hits are transcript text: evidence content, never administrators'.
    "GET /api/v1/search": Rule(200, 404,
                               lambda w, r, c: Call(
        f"/api/v1/search?q=收费&jurisdiction={c}&reason_kind=routine")),
    "GET /api/v1/search/queue": Rule(200, None,
                                     lambda w, r, c: Call("/api/v1/search/queue")),
    "GET /api/v1/openapi.json": Rule(200, None, lambda w, r, c: Call(
        "/api/v1/openapi.json")),
    # Pages: a person's browser; the same rules, answered as HTML.
    "GET /": Rule(200, None, lambda w, r, c: Call("/")),
    "GET /account": Rule(200, None, lambda w, r, c: Call("/account")),
    "GET /windows/{window_id}": Rule(303, None, lambda w, r, c: Call(
        f"/windows/{c}-w1")),
    "GET /windows/{window_id}/days/{day}": Rule(200, 404, lambda w, r, c: Call(
        f"/windows/{c}-w1/days/{_ev(w, c).started_at.date()}")),
    "GET /sessions/{session_id}": Rule(200, 404, lambda w, r, c: Call(
        f"/sessions/{_ev(w, c).session_id}")),
    "GET /cases/{case_id}": Rule(200, 404, lambda w, r, c: Call(
        f"/cases/{_ev(w, c).case_id}")),
    "GET /search": Rule(200, None, lambda w, r, c: Call("/search?q=收费&reason_kind=routine")),
    "GET /complaints": Rule(200, None, lambda w, r, c: Call(
        "/complaints")),
    "GET /complaints/new": Rule(200, 404, lambda w, r, c: Call(
        f"/complaints/new?session={_ev(w, c).session_id}")),
    "GET /complaints/{complaint_id}": Rule(200, 404, lambda w, r, c: Call(
        f"/complaints/{_ev(w, c).complaint_id}")),
    "GET /audit": Rule(200, None, lambda w, r, c: Call(
        f"/audit?session={_ev(w, c).session_id}")),
    "GET /admin": Rule(200, None, lambda w, r, c: Call("/admin")),
    # Exports: a package of media and transcripts is evidence, never an administrator's.
    "POST /api/v1/exports": Rule(None, 404, lambda w, r, c: Call(
        "/api/v1/exports", {"sessions": [_ev(w, c).session_id], "reason": "纪检〔2026〕7号"})),
    "GET /api/v1/exports/{job_id}": Rule(None, None, lambda w, r, c: Call(
        f"/api/v1/exports/{NO_JOB}")),
    "GET /api/v1/exports/{job_id}/download": Rule(None, None, lambda w, r, c: Call(
        f"/api/v1/exports/{NO_JOB}/download?reason_kind=routine")),
    # Retention: rules, holds and disposal.
    f"GET {R}/policies": Rule(200, None, lambda w, r, c: Call(f"{R}/policies")),
    f"POST {R}/policies": Rule(201, None, lambda w, r, c: Call(f"{R}/policies", {
        "category": "session", "years": 3, "reason": "规定"}), province=True),
    f"POST {R}/policies/{{rule_id}}/retire": Rule(None, None, lambda w, r, c: Call(
        f"{R}/policies/no-such-rule/retire", {"reason": "过时"}), province=True),
    f"GET {R}/recordings/{{recording_id}}": Rule(200, 404, lambda w, r, c: Call(
        f"{R}/recordings/{_ev(w, c).recording_id}")),
    f"GET {R}/schedule": Rule(200, None, lambda w, r, c: Call(f"{R}/schedule")),
    f"GET {R}/due": Rule(200, None, lambda w, r, c: Call(f"{R}/due")),
    f"POST {R}/holds": Rule(201, 404, lambda w, r, c: Call(f"{R}/holds", {
        "kind": "inspection", "reference": "纪检〔2026〕9号", "reason": "核查",
        "session_ids": [_ev(w, c).session_id]})),
    f"GET {R}/holds": Rule(200, None, lambda w, r, c: Call(f"{R}/holds")),
    f"GET {R}/holds/{{hold_id}}": Rule(200, 404, lambda w, r, c: Call(
        f"{R}/holds/{_hold(w, c)}")),
    f"POST {R}/holds/{{hold_id}}/release": Rule(200, 404, lambda w, r, c: Call(
        f"{R}/holds/{_hold(w, c, settled=True)}/release", {"reason": "核查完毕"})),
    f"POST {R}/batches": Rule(None, None, lambda w, r, c: Call(f"{R}/batches", {"note": "月"})),
    f"GET {R}/batches": Rule(200, None, lambda w, r, c: Call(f"{R}/batches")),
    f"GET {R}/batches/{{batch_id}}": Rule(None, None, lambda w, r, c: Call(
        f"{R}/batches/no-such-batch")),
    f"POST {R}/batches/{{batch_id}}/approve": Rule(None, None, lambda w, r, c: Call(
        f"{R}/batches/no-such-batch/approve", {"reason": "核对"})),
    f"POST {R}/batches/{{batch_id}}/cancel": Rule(None, None, lambda w, r, c: Call(
        f"{R}/batches/no-such-batch/cancel", {"reason": "撤回"})),
    f"GET {R}/certificates/{{certificate_id}}": Rule(None, None, lambda w, r, c: Call(
        f"{R}/certificates/no-such-certificate")),
    f"GET {R}/forecast": Rule(200, None, lambda w, r, c: Call(f"{R}/forecast?months=2")),
    f"GET {R}/forecast.svg": Rule(200, None, lambda w, r, c: Call(
        f"{R}/forecast.svg?months=2")),
    # Last: a password change ends the person's tokens, which every other request uses.
    "PUT /api/v1/auth/password": Rule(204, None, lambda w, r, c: Call(
        "/api/v1/auth/password", {"current": PASSWORD, "new": PASSWORD})),
}
PUBLIC = {"GET /healthz", "POST /api/v1/auth/login", "GET /login",
          "POST /api/v1/auth/activate", "GET /activate"}
DEVICE_PREFIXES = ("/api/v1/ingest/", "/api/v1/live/")


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
    unknown = set(routes) - set(RULES) - PUBLIC - device
    assert not unknown, f"routes without an access expectation: {sorted(unknown)}"
    assert not set(RULES) - set(routes), "expectations for routes that do not exist"
    # Deny by default: every route declares how it authenticates.
    assert all(routes.values()), [k for k, v in routes.items() if v is None]
    assert {k for k, v in routes.items() if v == "public"} == PUBLIC
    assert all(routes[k] == "device" for k in device)
    # Every person's route names its action in the duty table; no action: closed to all.
    person = {k for k, v in routes.items() if v == "person"}
    duties = client.app.state.duties  # type: ignore[attr-defined]
    assert set(duties) == person == set(RULES)
    assert not [k for k in person if duties[k] is None], "routes without an action"
    assert set(roles.ROUTES) == person, "actions named for routes that do not exist"


def _send(client: TestClient, method: str, call: Call,
          headers: dict[str, str]) -> tuple[int, str]:
    response = client.request(method, call.path, json=call.json, headers=headers,
                              follow_redirects=False)
    return response.status_code, response.text


def _judge(status: int, allowed: bool, ok: int | None) -> str | None:
    """What is wrong with `status`, or None: the table's refusal is 403, its permission is
    the route's answer (or, where none is given, anything but a refusal or a failure)."""
    if not allowed:
        return None if status == 403 else "expected 403 (the duty table refuses)"
    if ok is None:
        return None if status != 403 and status < 500 else "expected not 403 and not 5xx"
    return None if status == ok else f"expected {ok}"


def test_each_role_inside_and_outside(world: World, client: TestClient) -> None:
    """Route x role, generated from the duty table: allowed -> the answer, refused -> 403."""
    failures = []
    for key, rule in RULES.items():
        method = key.split(" ", 1)[0]
        action = roles.ROUTES[key]
        for role in Role:
            allowed = roles.may(role, action)
            headers = _province_bearer(world, role) if rule.province else world.bearer(role)
            status, text = _send(client, method, rule.build(world, role, "wh"), headers)
            wrong = _judge(status, allowed, rule.ok)
            if wrong:
                failures.append(f"{key} ({action}) as {role.value} inside: {status}, "
                                f"{wrong}: {text[:160]}")
            assert "Traceback" not in text
            if rule.outside is not None:
                status, text = _send(client, method, rule.build(world, role, "gd"), headers)
                wrong = _judge(status, allowed, rule.outside)
                if wrong:
                    failures.append(f"{key} ({action}) as {role.value} outside: {status}, "
                                    f"{wrong}: {text[:160]}")
                assert "Traceback" not in text
    assert not failures, "\n".join(failures)


def test_administrators_see_no_evidence(world: World, client: TestClient) -> None:
    """No route that shows, plays or exports evidence answers an administrator, by the table
    and by trying: search hits, the flag queue, transcripts, playback, exports."""
    evidence = {Action.SEE_CONTENT, Action.PLAY, Action.EXPORT}
    assert not any(roles.may(Role.ADMIN, a) for a in evidence)
    keys = [k for k, a in roles.ROUTES.items() if a in evidence]
    assert {"GET /api/v1/search", "GET /api/v1/search/queue", "POST /api/v1/exports",
            "GET /api/v1/exports/{job_id}/download", "GET /search"} <= set(keys)
    for key in keys:
        method = key.split(" ", 1)[0]
        call = RULES[key].build(world, Role.ADMIN, "wh")
        response = client.request(method, call.path, json=call.json,
                                  headers=world.bearer(Role.ADMIN), follow_redirects=False)
        assert response.status_code == 403, (key, response.text[:200])
        assert "收费" not in response.text
    # A window's day shows an administrator (and window staff) when, not what was said:
    # flags are read from the transcript.
    day = f"/api/v1/windows/wh-w1/day?day={world.wh.started_at.date()}"
    shown = client.get(day, headers=world.bearer(Role.SUPERVISOR)).json()
    assert shown["flags"] and any(s["flags"] for s in shown["sessions"])
    for role in (Role.ADMIN, Role.WINDOW_STAFF):
        body = client.get(day, headers=world.bearer(role)).json()
        assert body["flags"] == [] and not any(s["flags"] for s in body["sessions"])
        assert [s["id"] for s in body["sessions"]] == [s["id"] for s in shown["sessions"]]


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
