"""Which action each route is, checked against the duty table before anything is looked up.

The table itself is `archive.access.duties.DUTIES` (docs/security.md shows it): the services
below the web service check the same table. Here every route a person calls names its
`Action` in `ROUTES`; `enforce` (run by `api.deps.get_principal` as soon as the caller is
known) refuses a role the table does not give that action, and a person's route that names
no action is refused to everybody (deny by default; a warning names it at start-up).
The tuples below are the table's rows, for the pages' `can_*` switches and the services.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts

from archive.access.duties import DUTIES, Action, may, require, roles_for
from archive.access.people import Principal
from archive.evidence.errors import PermissionDeniedError
from archive.evidence.vocabulary import Role

__all__ = ["DUTIES", "ROUTES", "Action", "apply_duties", "enforce", "may", "roles_for"]

logger = logging.getLogger(__name__)

ALL = tuple(Role)
EVIDENCE = roles_for(Action.SEE_METADATA)  # sessions, cases (their content: SEE_CONTENT)
CONTENT = roles_for(Action.SEE_CONTENT)
PLAY = roles_for(Action.PLAY)
REVIEW = roles_for(Action.REVIEW)
NOTE = roles_for(Action.ANNOTATE)
COMPLAINT_READ = roles_for(Action.SEE_METADATA)
COMPLAINT_WRITE = roles_for(Action.HANDLE_COMPLAINTS)
COMPLAINT_LINK = roles_for(Action.LINK_COMPLAINT)
TIMELINE = roles_for(Action.SEE_STATUS)
VIEWERS = roles_for(Action.WHO_WATCHED)
AUDIT = roles_for(Action.READ_ACCESS_LOG)
ADMIN = roles_for(Action.MANAGE_ACCOUNTS)

_A, _S = "/api/v1/admin", "/api/v1/sessions"
_R, _E, _P = "/api/v1/retention", "/api/v1/exports", "/api/v1/playback"
# "METHOD path" -> the action it is. Public and device routes have none (api.policy).
ROUTES: dict[str, Action] = {
    # one's own account and home
    "POST /api/v1/auth/logout": Action.OWN_ACCOUNT,
    "GET /api/v1/auth/me": Action.OWN_ACCOUNT,
    "PUT /api/v1/auth/password": Action.OWN_ACCOUNT,
    "GET /api/v1/auth/tokens": Action.OWN_ACCOUNT,
    "POST /api/v1/auth/tokens": Action.OWN_ACCOUNT,
    "DELETE /api/v1/auth/tokens/{token_id}": Action.OWN_ACCOUNT,
    "GET /api/v1/dashboard": Action.OWN_ACCOUNT,
    "GET /api/v1/openapi.json": Action.OWN_ACCOUNT,
    "GET /": Action.OWN_ACCOUNT,
    "GET /account": Action.OWN_ACCOUNT,
    # windows' status
    "GET /api/v1/windows": Action.SEE_STATUS,
    "GET /api/v1/windows/{window_id}/day": Action.SEE_STATUS,
    "GET /windows/{window_id}": Action.SEE_STATUS,
    "GET /windows/{window_id}/days/{day}": Action.SEE_STATUS,
    # what was recorded, not what was said
    f"GET {_S}": Action.SEE_METADATA,
    f"GET {_S}/{{session_id}}": Action.SEE_METADATA,
    f"GET {_S}/{{session_id}}/reviews": Action.SEE_METADATA,
    f"GET {_S}/{{session_id}}/notes": Action.SEE_METADATA,
    "GET /api/v1/checklist": Action.SEE_METADATA,
    "GET /api/v1/cases": Action.SEE_METADATA,
    "GET /api/v1/cases/{case_id}": Action.SEE_METADATA,
    "GET /cases/{case_id}": Action.SEE_METADATA,
    "GET /api/v1/complaints": Action.SEE_METADATA,
    "GET /api/v1/complaints/{complaint_id}": Action.SEE_METADATA,
    "GET /complaints": Action.SEE_METADATA,
    "GET /complaints/{complaint_id}": Action.SEE_METADATA,
    # what was said
    f"GET {_S}/{{session_id}}/transcript": Action.SEE_CONTENT,
    "GET /api/v1/search": Action.SEE_CONTENT,
    "GET /api/v1/search/queue": Action.SEE_CONTENT,
    "GET /search": Action.SEE_CONTENT,
    "GET /sessions/{session_id}": Action.SEE_CONTENT,  # the player page shows the transcript
    # watching, exporting
    f"POST {_P}": Action.PLAY,
    f"GET {_P}/{{grant_id}}/index.m3u8": Action.PLAY,
    f"GET {_P}/{{grant_id}}/segments/{{seq}}.ts": Action.PLAY,
    f"POST {_E}": Action.EXPORT,
    f"GET {_E}/{{job_id}}": Action.EXPORT,
    f"GET {_E}/{{job_id}}/download": Action.EXPORT,
    # reviewing and complaints
    f"POST {_S}/{{session_id}}/reviews": Action.REVIEW,
    f"POST {_S}/{{session_id}}/notes": Action.ANNOTATE,
    "POST /api/v1/complaints": Action.HANDLE_COMPLAINTS,
    "POST /api/v1/complaints/{complaint_id}/accept": Action.HANDLE_COMPLAINTS,
    "POST /api/v1/complaints/{complaint_id}/close": Action.HANDLE_COMPLAINTS,
    "GET /complaints/new": Action.HANDLE_COMPLAINTS,
    "POST /api/v1/complaints/{complaint_id}/sessions": Action.LINK_COMPLAINT,
    # retention
    f"GET {_R}/policies": Action.SEE_RETENTION,
    f"GET {_R}/recordings/{{recording_id}}": Action.SEE_RETENTION,
    f"GET {_R}/schedule": Action.SEE_RETENTION,
    f"GET {_R}/holds": Action.SEE_RETENTION,
    f"GET {_R}/holds/{{hold_id}}": Action.SEE_RETENTION,
    f"GET {_R}/batches": Action.SEE_RETENTION,
    f"GET {_R}/batches/{{batch_id}}": Action.SEE_RETENTION,
    f"GET {_R}/certificates/{{certificate_id}}": Action.SEE_RETENTION,
    f"POST {_R}/holds": Action.PLACE_HOLD,
    f"POST {_R}/holds/{{hold_id}}/release": Action.RELEASE_HOLD,
    f"GET {_R}/due": Action.APPROVE_DISPOSAL,
    f"POST {_R}/batches": Action.APPROVE_DISPOSAL,
    f"POST {_R}/batches/{{batch_id}}/approve": Action.APPROVE_DISPOSAL,
    f"POST {_R}/batches/{{batch_id}}/cancel": Action.APPROVE_DISPOSAL,
    f"POST {_R}/policies": Action.MANAGE_REGISTRY,
    f"POST {_R}/policies/{{rule_id}}/retire": Action.MANAGE_REGISTRY,
    f"GET {_R}/forecast": Action.MANAGE_REGISTRY,
    f"GET {_R}/forecast.svg": Action.MANAGE_REGISTRY,
    # administration
    f"GET {_A}/jurisdictions": Action.MANAGE_REGISTRY,
    f"POST {_A}/jurisdictions": Action.MANAGE_REGISTRY,
    f"GET {_A}/windows": Action.MANAGE_REGISTRY,
    f"POST {_A}/windows": Action.MANAGE_REGISTRY,
    f"GET {_A}/devices": Action.MANAGE_REGISTRY,
    f"POST {_A}/devices": Action.MANAGE_REGISTRY,
    f"POST {_A}/devices/{{device_id}}/token": Action.MANAGE_REGISTRY,
    f"POST {_A}/devices/{{device_id}}/revoke": Action.MANAGE_REGISTRY,
    "GET /admin": Action.MANAGE_REGISTRY,
    f"GET {_A}/users": Action.MANAGE_ACCOUNTS,
    f"POST {_A}/users": Action.MANAGE_ACCOUNTS,
    f"PATCH {_A}/users/{{user_id}}": Action.MANAGE_ACCOUNTS,
    f"POST {_A}/users/{{user_id}}/reset": Action.MANAGE_ACCOUNTS,
    f"GET {_A}/grants": Action.APPROVE_ROLE_GRANT,
    f"POST {_A}/grants/{{grant_id}}/approve": Action.APPROVE_ROLE_GRANT,
    # oversight
    "GET /api/v1/audit/entries": Action.READ_ACCESS_LOG,
    "GET /api/v1/audit/heads": Action.READ_ACCESS_LOG,
    "GET /audit": Action.READ_ACCESS_LOG,
    f"GET {_S}/{{session_id}}/viewers": Action.WHO_WATCHED,
}

# id(route) -> (route, action or None); holding the route keeps its id from being reused.
_BOUND: dict[int, tuple[APIRoute, Action | None]] = {}


def apply_duties(app: FastAPI, policies: dict[str, str | None]) -> dict[str, Action | None]:
    """Bind each person's route to its action; returns "METHOD path" -> action (None: closed).

    `policies` is `api.policy.apply_policies`'s answer: only "person" routes need an action.
    """
    table: dict[str, Action | None] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        methods = sorted(context.methods or ())
        if not isinstance(route, APIRoute) or \
                policies.get(f"{','.join(methods)} {context.path}") != "person":
            continue
        actions = {ROUTES.get(f"{m} {context.path}") for m in methods}
        action = actions.pop() if len(actions) == 1 else None
        for method in methods:
            table[f"{method} {context.path}"] = action
        if action is None:
            logger.warning("route declares no duty; it is closed to everyone: %s %s",
                           ",".join(methods), context.path)
        _BOUND[id(route)] = (route, action)
    return table


def enforce(request: Request, principal: Principal) -> None:
    """Refuse the caller unless the duty table gives their role this route's action."""
    route = request.scope.get("route")
    entry = _BOUND.get(id(route))
    action = entry[1] if entry is not None and entry[0] is route else None
    if action is None:
        raise PermissionDeniedError("this endpoint declares no duty and is closed",
                                    reason="no_duty")
    require(principal, action)
