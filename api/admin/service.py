"""Administration within the administrator's subtree: jurisdictions, windows, devices, people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.admin import grants
from api.auth import links
from api.auth import service as auth_service
from api.rows import pairs
from archive.access import people as access
from archive.access import registry
from archive.access.people import Principal
from archive.catalog.models import Device, Jurisdiction, User, Window
from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import JurisdictionLevel, Role, WindowKind


def list_jurisdictions(db: DBSession, principal: Principal) -> list[Jurisdiction]:
    return list(db.scalars(select(Jurisdiction).where(principal.scope.on_jurisdiction())
                           .order_by(Jurisdiction.path)))


def create_jurisdiction(db: DBSession, principal: Principal, *, id: str, name: str,
                        level: JurisdictionLevel, parent_id: str) -> Jurisdiction:
    """A new node under one the administrator can see (never a new province)."""
    principal.scope.require_jurisdiction(db, parent_id)
    return registry.create_jurisdiction(db, id=id, name=name.strip(), level=level,
                                        parent_id=parent_id)


def list_windows(db: DBSession, principal: Principal) -> list[tuple[Window, str]]:
    return pairs(db.execute(select(Window, Jurisdiction.name)
                           .join(Jurisdiction, Jurisdiction.id == Window.jurisdiction_id)
                           .where(principal.scope.on_jurisdiction())
                           .order_by(Jurisdiction.path, Window.id)))


def create_window(db: DBSession, principal: Principal, *, id: str, name: str,
                  jurisdiction_id: str, kind: WindowKind) -> Window:
    principal.scope.require_jurisdiction(db, jurisdiction_id)
    return registry.create_window(db, id=id, name=name.strip(),
                                  jurisdiction_id=jurisdiction_id, kind=kind)


def list_devices(db: DBSession, principal: Principal) -> list[tuple[Device, str]]:
    return pairs(db.execute(select(Device, Jurisdiction.name)
                           .join(Jurisdiction, Jurisdiction.id == Device.jurisdiction_id)
                           .where(principal.scope.on_jurisdiction())
                           .order_by(Device.id)))


def create_device(db: DBSession, principal: Principal, *, id: str, name: str,
                  jurisdiction_id: str) -> tuple[Device, str]:
    principal.scope.require_jurisdiction(db, jurisdiction_id)
    return registry.create_device(db, id=id, name=name.strip(),
                                  jurisdiction_id=jurisdiction_id)


def rotate_device_token(db: DBSession, principal: Principal, *, device_id: str) -> str:
    """A new token for the device; the old one stops working at once."""
    principal.scope.require_device(db, device_id)
    return registry.rotate_device(db, id=device_id, now=datetime.now(UTC))


def revoke_device(db: DBSession, principal: Principal, *, device_id: str,
                  now: datetime) -> Device:
    principal.scope.require_device(db, device_id)
    return registry.revoke_device(db, id=device_id, now=now)


def list_users(db: DBSession, principal: Principal) -> list[tuple[User, str]]:
    return pairs(db.execute(select(User, Jurisdiction.name)
                           .join(Jurisdiction, Jurisdiction.id == User.jurisdiction_id)
                           .where(principal.scope.on_jurisdiction())
                           .order_by(Jurisdiction.path, User.id)))


def create_user(db: DBSession, principal: Principal, *, id: str, name: str, role: Role,
                jurisdiction_id: str, now: datetime) -> User | grants.RoleGrant:
    """A new account without a password, or, for a role that needs a second person, the
    grant that makes the account once approved."""
    principal.scope.require_jurisdiction(db, jurisdiction_id)
    if grants.needs_second(role):
        if not name.strip():
            raise InvalidInputError("a name cannot be empty", reason="bad_name")
        return grants.request(db, principal, user_id=id, name=name.strip(), role=role,
                              jurisdiction_id=jurisdiction_id, new_account=True, now=now)
    return access.create_user(db, id=id, name=name.strip(), role=role,
                              jurisdiction_id=jurisdiction_id)


@dataclass(frozen=True)
class UserChange:
    name: str | None = None
    role: Role | None = None
    jurisdiction_id: str | None = None
    disabled: bool | None = None


@dataclass(frozen=True)
class Updated:
    user: User
    grant: grants.RoleGrant | None  # the role asked for, awaiting a second person


def update_user(db: DBSession, principal: Principal, *, user_id: str, change: UserChange,
                now: datetime) -> Updated:
    """Change a person; a change of role, place or access ends their sessions.

    A role that needs a second person is only asked for (see api/admin/grants.py); a new
    role or place restarts the time before the person's approvals count.

    Raises:
        NotFoundError: the person or the new jurisdiction is outside the subtree.
        InvalidInputError: administrators may not demote, move or disable themselves.
    """
    user = principal.scope.require_user(db, user_id)
    if user.id == principal.user_id and (change.role not in (None, user.role) or
                                         change.disabled or change.jurisdiction_id not in
                                         (None, user.jurisdiction_id)):
        raise InvalidInputError("administrators may not demote, move or disable themselves",
                                reason="self_change")
    if change.jurisdiction_id is not None:
        principal.scope.require_jurisdiction(db, change.jurisdiction_id)
    if change.name is not None and not change.name.strip():
        raise InvalidInputError("a name cannot be empty", reason="bad_name")
    ends_sessions, grant = False, None
    if change.name is not None:
        user.name = change.name.strip()
    place = change.jurisdiction_id or user.jurisdiction_id
    if change.role is not None and change.role != user.role and grants.needs_second(change.role):
        grant = grants.request(db, principal, user_id=user.id, name=user.name, role=change.role,
                               jurisdiction_id=place, new_account=False, now=now)
    elif change.role is not None and change.role != user.role:
        user.role, user.role_since, ends_sessions = change.role, now, True
    if grant is None and change.jurisdiction_id is not None \
            and change.jurisdiction_id != user.jurisdiction_id:
        user.jurisdiction_id, user.role_since, ends_sessions = change.jurisdiction_id, now, True
    if change.disabled is True and user.disabled_at is None:
        user.disabled_at, ends_sessions = now, True
    elif change.disabled is False:
        user.disabled_at = None
    if ends_sessions:
        auth_service.end_sessions(db, user_id=user.id, now=now)
    db.flush()
    return Updated(user=user, grant=grant)


def reset_password(db: DBSession, principal: Principal, *, user_id: str, now: datetime,
                   hours: int) -> links.IssuedLink:
    """A one-time link for the person to choose a password (their old one stops now).

    Raises:
        NotFoundError: the person is outside the subtree.
        InvalidInputError: one's own password is changed on one's account page.
    """
    user = principal.scope.require_user(db, user_id)
    if user.id == principal.user_id:
        raise InvalidInputError("change your own password on your account page",
                                reason="self_change")
    return links.issue(db, user=user, created_by=principal.user_id, now=now, hours=hours)


def pending_grant(db: DBSession, user_id: str) -> grants.RoleGrant | None:
    return db.scalar(select(grants.RoleGrant).where(grants.RoleGrant.user_id == user_id,
                                                    grants.RoleGrant.state == grants.PENDING))
