"""Deny by default: a route that declares no authentication is closed to everybody."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from api import errors, policy
from api.deps import PrincipalDep, PublicDep


def test_undeclared_routes_are_closed() -> None:
    app = FastAPI(dependencies=[Depends(policy.gate)])
    errors.install(app)

    @app.get("/forgot")
    def forgot() -> dict[str, str]:
        return {"secret": "evidence"}

    @app.get("/open")
    def opened(_: PublicDep) -> dict[str, str]:
        return {"ok": "yes"}

    table = policy.apply_policies(app)
    assert table == {"GET /forgot": None, "GET /open": "public"}
    client = TestClient(app)
    closed = client.get("/forgot")
    assert closed.status_code == 401 and "evidence" not in closed.text
    assert closed.json()["error"]["reason"] == "no_policy"
    assert client.get("/open").json() == {"ok": "yes"}


def test_the_strictest_declaration_wins() -> None:
    app = FastAPI(dependencies=[Depends(policy.gate)])

    @app.get("/both")
    def both(anyone: PublicDep, person: PrincipalDep) -> None:
        return None

    assert policy.apply_policies(app) == {"GET /both": "person"}
