"""Administration within the administrator's subtree: jurisdictions, windows, devices, people."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.auth import service as auth_service
from api.rows import pairs
from archive.access import people as access
from archive.access import registry
from archive.access.people import Principal
from archive.catalog.models import ApiToken, Device, Jurisdiction, User, Window
from archive.evidence.errors import ConflictError, InvalidInputError
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
    device = principal.scope.require_device(db, device_id)
    if device.revoked_at is not None:
        raise ConflictError(f"device {device_id} is revoked", reason="revoked")
    token = registry.TOKEN_PREFIX + secrets.token_urlsafe(32)
    device.token_hash = registry.hash_token(token)
    return token


def revoke_device(db: DBSession, principal: Principal, *, device_id: str,
                  now: datetime) -> Device:
    device = principal.scope.require_device(db, device_id)
    if device.revoked_at is None:
        device.revoked_at = now
    return device


def list_users(db: DBSession, principal: Principal) -> list[tuple[User, str]]:
    return pairs(db.execute(select(User, Jurisdiction.name)
                           .join(Jurisdiction, Jurisdiction.id == User.jurisdiction_id)
                           .where(principal.scope.on_jurisdiction())
                           .order_by(Jurisdiction.path, User.id)))


def create_user(db: DBSession, principal: Principal, *, id: str, name: str, role: Role,
                jurisdiction_id: str, password: str | None, min_length: int) -> User:
    principal.scope.require_jurisdiction(db, jurisdiction_id)
    password_hash = None
    if password is not None:
        auth_service.check_password_policy(password, min_length=min_length)
        password_hash = auth_service.hash_password(password)
    return access.create_user(db, id=id, name=name.strip(), role=role,
                              jurisdiction_id=jurisdiction_id, password_hash=password_hash)


@dataclass(frozen=True)
class UserChange:
    name: str | None = None
    role: Role | None = None
    jurisdiction_id: str | None = None
    disabled: bool | None = None
    password: str | None = None


def update_user(db: DBSession, principal: Principal, *, user_id: str, change: UserChange,
                min_length: int, now: datetime) -> User:
    """Change a person; a change of role, place, password or access ends their sessions.

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
    if change.password is not None:
        auth_service.check_password_policy(change.password, min_length=min_length)
    ends_sessions = False
    if change.name is not None:
        if not change.name.strip():
            raise InvalidInputError("a name cannot be empty", reason="bad_name")
        user.name = change.name.strip()
    if change.role is not None and change.role != user.role:
        user.role, ends_sessions = change.role, True
    if change.jurisdiction_id is not None and change.jurisdiction_id != user.jurisdiction_id:
        user.jurisdiction_id, ends_sessions = change.jurisdiction_id, True
    if change.disabled is True and user.disabled_at is None:
        user.disabled_at, ends_sessions = now, True
    elif change.disabled is False:
        user.disabled_at = None
    if change.password is not None:
        user.password_hash = auth_service.hash_password(change.password)
        ends_sessions = True
    if ends_sessions:
        auth_service.end_sessions(db, user_id=user.id, now=now)
    db.flush()
    return user


def issue_user_token(db: DBSession, principal: Principal, *, user_id: str,
                     label: str) -> tuple[ApiToken, str]:
    user = principal.scope.require_user(db, user_id)
    token = access.create_api_token(db, user_id=user.id, label=label)
    row = db.scalars(select(ApiToken).where(
        ApiToken.token_hash == registry.hash_token(token))).one()
    return row, token
