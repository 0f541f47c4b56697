"""Two-person rules: when a second approval comes from a second, independent person.

Disposal approval, legal-hold release and granting a role that takes part in these rules
(administrator, inspector) each need two people. The second counts only when they are
another person, of a different role or from a different jurisdiction level than the first
(someone the first does not stand in for: accounts and roles are managed per subtree and per
level, so one administrator cannot make a colleague of their own kind at their own level), and
when each has held their role at their place for `approver_min_days` (a fresh account, even
one made by a second administrator, approves nothing for a while). docs/security.md,
"Credentials and two-person rules".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from archive.access.people import Principal
from archive.catalog.models import Jurisdiction, User
from archive.evidence.errors import PermissionDeniedError
from archive.evidence.vocabulary import JurisdictionLevel, Role

# Roles whose grant needs a second person: they can be the second person of another rule.
GRANT_NEEDS_SECOND = (Role.ADMIN, Role.INSPECTOR)


@dataclass(frozen=True)
class Approver:
    user_id: str
    role: Role
    level: JurisdictionLevel
    role_since: datetime


def approver_of(db: Session, user_id: str) -> Approver:
    """The person as they are now (role, level of their jurisdiction, since when)."""
    user = db.get_one(User, user_id)
    node = db.get_one(Jurisdiction, user.jurisdiction_id)
    return Approver(user_id=user.id, role=user.role, level=node.level,
                    role_since=user.role_since)


def require_settled(db: Session, principal: Principal, *, now: datetime,
                    min_days: int) -> Approver:
    """Raises PermissionDeniedError ("too_new") for a person given their role too recently."""
    approver = approver_of(db, principal.user_id)
    ready = approver.role_since + timedelta(days=min_days)
    if ready > now:
        raise PermissionDeniedError(
            f"{principal.user_id} has held the role {approver.role.value} there since "
            f"{approver.role_since.isoformat()}; approvals count from {ready.isoformat()} "
            f"({min_days} days)", reason="too_new")
    return approver


def independent(first: Approver, second: Approver) -> bool:
    return first.user_id != second.user_id and (first.role != second.role
                                                or first.level != second.level)


def require_independent(first: Approver, second: Approver) -> None:
    """Raises PermissionDeniedError ("not_independent") unless `second` is a second person."""
    if not independent(first, second):
        raise PermissionDeniedError(
            f"{second.user_id} ({second.role.value}, {second.level.value}) cannot be the second "
            f"person after {first.user_id} ({first.role.value}, {first.level.value}): the "
            "second person has another role or works at another jurisdiction level",
            reason="not_independent")
