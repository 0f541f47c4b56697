"""The separation of duties: which role may do which action (docs/security.md, one table).

Every check of a role, in the web service, its pages and the services below them, reads this
table: a route declares its action (`api/roles.py`) and the service tuples are derived from it,
so the table in the documentation, the code and the access-matrix test cannot drift apart.
Administrators run the registry, the accounts and the rules; they never read, watch, export or
search evidence. Recording (window staff), supervising and auditing are separate duties too.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from archive.access.people import Principal
from archive.evidence.errors import PermissionDeniedError
from archive.evidence.vocabulary import Role


class Action(StrEnum):
    OWN_ACCOUNT = "own_account"  # log in and out, one's password and tokens, home page
    SEE_STATUS = "see_status"  # windows' status and day timelines (no evidence)
    SEE_METADATA = "see_metadata"  # sessions, cases, complaints, reviews and notes
    SEE_CONTENT = "see_content"  # transcript text, search hits, the flag queue
    PLAY = "play"  # watch and listen
    EXPORT = "export"  # evidence packages (media, transcripts, custody)
    REVIEW = "review"  # score a session against the checklist
    ANNOTATE = "annotate"  # notes on a session's timeline
    HANDLE_COMPLAINTS = "handle_complaints"  # register, accept, close
    LINK_COMPLAINT = "link_complaint"  # link sessions to a complaint (places a hold)
    SEE_RETENTION = "see_retention"  # rules, how long and why, holds, batches, certificates
    PLACE_HOLD = "place_hold"
    RELEASE_HOLD = "release_hold"
    APPROVE_DISPOSAL = "approve_disposal"  # what is due, propose, approve, cancel batches
    MANAGE_ACCOUNTS = "manage_accounts"  # people and their roles
    APPROVE_ROLE_GRANT = "approve_role_grant"  # second person of an admin/inspector grant
    MANAGE_REGISTRY = "manage_registry"  # jurisdictions, windows, devices, rules, capacity
    READ_ACCESS_LOG = "read_access_log"  # the access log and its sealed heads
    WHO_WATCHED = "who_watched"  # the viewers of a session


_S, _I, _A, _U = Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN, Role.AUDITOR
_EVERYONE = frozenset(Role)
DUTIES: Mapping[Action, frozenset[Role]] = MappingProxyType({
    Action.OWN_ACCOUNT: _EVERYONE,
    Action.SEE_STATUS: frozenset({Role.WINDOW_STAFF, _S, _I, _A}),
    Action.SEE_METADATA: frozenset({_S, _I}),
    Action.SEE_CONTENT: frozenset({_S, _I}),
    Action.PLAY: frozenset({_S, _I}),
    Action.EXPORT: frozenset({_S, _I}),
    Action.REVIEW: frozenset({_S}),
    Action.ANNOTATE: frozenset({_S, _I}),
    Action.HANDLE_COMPLAINTS: frozenset({_S}),
    Action.LINK_COMPLAINT: frozenset({_S, _I}),
    Action.SEE_RETENTION: frozenset({_S, _I, _A, _U}),
    Action.PLACE_HOLD: frozenset({_S, _I, _A}),
    Action.RELEASE_HOLD: frozenset({_I, _A}),
    Action.APPROVE_DISPOSAL: frozenset({_A}),
    Action.MANAGE_ACCOUNTS: frozenset({_A}),
    Action.APPROVE_ROLE_GRANT: frozenset({_I, _A}),
    Action.MANAGE_REGISTRY: frozenset({_A}),
    Action.READ_ACCESS_LOG: frozenset({_U}),
    Action.WHO_WATCHED: frozenset({_S, _I, _U}),
})
# What no administrator may ever do, whatever the table above is edited to say.
NEVER_ADMIN = frozenset({Action.SEE_CONTENT, Action.PLAY, Action.EXPORT})


def roles_for(action: Action) -> tuple[Role, ...]:
    """The roles that may do `action`, in the vocabulary's order."""
    return tuple(r for r in Role if r in DUTIES[action])


def may(role: Role, action: Action) -> bool:
    return role in DUTIES[action]


def require(principal: Principal, action: Action) -> None:
    """Raises PermissionDeniedError ("role") unless the principal's role may do `action`."""
    if not may(principal.role, action):
        raise PermissionDeniedError(
            f"role {principal.role.value} may not {action.value.replace('_', ' ')}; needs one "
            f"of {', '.join(r.value for r in roles_for(action))}", reason="role")
