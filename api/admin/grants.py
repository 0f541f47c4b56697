"""Role grants that need a second person: making someone an administrator or inspector.

An administrator asks (a new account with such a role, or a role change to one); nothing
changes until a second person approves: an administrator or inspector whose subtree covers the
account, of another role or at another jurisdiction level than the one who asked, and settled
in their own role (archive/access/approvals.py). So no administrator can make, alone, the
second person of any two-person rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as DBSession

from archive.access import approvals
from archive.access import people as access
from archive.access.duties import Action, roles_for
from archive.access.people import Principal
from archive.catalog.models import Base, User, new_id
from archive.evidence.errors import ConflictError, NotFoundError, PermissionDeniedError
from archive.evidence.vocabulary import Role

APPROVER_ROLES = roles_for(Action.APPROVE_ROLE_GRANT)
PENDING, APPROVED, REPLACED = "pending", "approved", "replaced"


class RoleGrant(Base):
    """A requested role (with the account, when it is new) awaiting a second person."""

    __tablename__ = "role_grants"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64))  # the account made on approval if new
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"))
    new_account: Mapped[bool] = mapped_column(Boolean)
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]


Index("ix_role_grants_user_state", RoleGrant.user_id, RoleGrant.state)


def needs_second(role: Role) -> bool:
    return role in approvals.GRANT_NEEDS_SECOND


def request(db: DBSession, principal: Principal, *, user_id: str, name: str, role: Role,
            jurisdiction_id: str, new_account: bool, now: datetime) -> RoleGrant:
    """Ask for the grant; an earlier pending one for the same account is replaced."""
    if new_account and db.get(User, user_id) is not None:
        raise ConflictError(f"user {user_id} already exists", reason="exists")
    for old in db.scalars(select(RoleGrant).where(RoleGrant.user_id == user_id,
                                                  RoleGrant.state == PENDING)):
        old.state, old.decided_by, old.decided_at = REPLACED, principal.user_id, now
    grant = RoleGrant(user_id=user_id, name=name, role=role.value,
                      jurisdiction_id=jurisdiction_id, new_account=new_account,
                      requested_by=principal.user_id, requested_at=now)
    db.add(grant)
    db.flush()
    return grant


def list_pending(db: DBSession, principal: Principal) -> list[RoleGrant]:
    rows = db.scalars(select(RoleGrant).where(RoleGrant.state == PENDING)
                      .order_by(RoleGrant.requested_at))
    return [g for g in rows if _covered(db, principal, g)]


def _covered(db: DBSession, principal: Principal, grant: RoleGrant) -> bool:
    try:
        principal.scope.require_jurisdiction(db, grant.jurisdiction_id)
    except (NotFoundError, PermissionDeniedError):
        return False
    return True


@dataclass(frozen=True)
class Decision:
    grant: RoleGrant
    user: User


def approve(db: DBSession, principal: Principal, *, grant_id: str, now: datetime,
            min_days: int) -> Decision:
    """The second person's approval: the account gets the role (and is made, if new).

    Raises:
        PermissionDeniedError: not an approver role, the grantee, not settled ("too_new"), or
            not independent of the one who asked ("not_independent").
        NotFoundError: no such pending grant in the approver's subtree.
    """
    if principal.role not in APPROVER_ROLES:
        raise PermissionDeniedError(f"role {principal.role.value} may not approve role grants",
                                    reason="role")
    grant = db.get(RoleGrant, grant_id, with_for_update=True)
    if grant is None or not _covered(db, principal, grant):
        raise NotFoundError(f"role grant {grant_id} does not exist", reason="no_grant")
    if grant.state != PENDING:
        raise ConflictError(f"role grant {grant_id} is {grant.state}", reason="not_pending")
    if principal.user_id == grant.user_id:
        raise PermissionDeniedError("nobody approves their own role", reason="not_independent")
    second = approvals.require_settled(db, principal, now=now, min_days=min_days)
    approvals.require_independent(approvals.approver_of(db, grant.requested_by), second)
    if grant.new_account:
        user = access.create_user(db, id=grant.user_id, name=grant.name, role=Role(grant.role),
                                  jurisdiction_id=grant.jurisdiction_id)
    else:
        user = db.get_one(User, grant.user_id)
        user.role, user.jurisdiction_id, user.role_since = (Role(grant.role),
                                                             grant.jurisdiction_id, now)
    grant.state, grant.decided_by, grant.decided_at = APPROVED, principal.user_id, now
    db.flush()
    return Decision(grant=grant, user=user)
