"""Deny by default: every route must declare how its caller authenticates.

`gate` runs before every API route (an app-level dependency). `apply_policies` (called
once the app's routes are all included) reads each route's dependency tree: a route that
depends on a person (`get_principal`), a device (`get_device`) or is marked `public` gets that
policy; a route with none is refused to everybody, and a warning names it at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api import deps
from api.auth.errors import NotAuthenticatedError

logger = logging.getLogger(__name__)

PERSON = "person"
DEVICE = "device"
PUBLIC = "public"
_MARKERS: dict[Callable[..., Any], str] = {
    deps.get_principal: PERSON, deps.get_device: DEVICE, deps.public: PUBLIC,
}
# id(route) -> (route, policy); holding the route keeps its id from being reused.
_POLICIES: dict[int, tuple[APIRoute, str]] = {}


def gate(request: Request) -> None:
    """Refuse any route that declared no authentication."""
    route = request.scope.get("route")
    entry = _POLICIES.get(id(route))
    if entry is None or entry[0] is not route:
        raise NotAuthenticatedError("this endpoint declares no authentication and is closed",
                                    reason="no_policy")


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def policy_of(dependant: Dependant) -> str | None:
    """The policy a route's dependency tree declares, or None."""
    found = {_MARKERS[call] for call in _calls(dependant) if call in _MARKERS}
    for policy in (PERSON, DEVICE, PUBLIC):  # the strictest declared wins
        if policy in found:
            return policy
    return None


def apply_policies(app: FastAPI) -> dict[str, str | None]:
    """Record each route's policy; returns "METHODS path" -> policy (None: closed)."""
    table: dict[str, str | None] = {}
    # Included routers are not flattened into app.routes: walk their effective contexts,
    # whose dependency trees include the dependencies given at include time.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        policy = policy_of(context.dependant)
        key = f"{','.join(sorted(context.methods or ()))} {context.path}"
        table[key] = policy
        if policy is None:
            logger.warning("route declares no authentication; it is closed: %s", key)
        else:
            _POLICIES[id(route)] = (route, policy)
    return table
