"""People and their API tokens; what a person may reach is their jurisdiction's scope."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.access.registry import get_jurisdiction_or_raise, hash_token
from archive.access.scope import Scope
from archive.catalog.models import ApiToken, User
from archive.evidence.errors import ConflictError, NotFoundError, PermissionDeniedError
from archive.evidence.vocabulary import Role

USER_TOKEN_PREFIX = "aidrec_usr_"  # noqa: S105 - a prefix, not a secret
TOKEN_DAYS = 90  # default lifetime of a person's API token (WebSettings.api_token_days)


@dataclass(frozen=True)
class Principal:
    """Who is asking, with the subtree they may see."""

    user_id: str
    role: Role
    jurisdiction_id: str
    jurisdiction_path: str  # "/yn/km/" — the subtree prefix

    @property
    def scope(self) -> Scope:
        return Scope(self.jurisdiction_path)

    def covers(self, path: str) -> bool:
        return self.scope.covers(path)


def create_user(db: Session, *, id: str, name: str, role: Role, jurisdiction_id: str,
                password_hash: str | None = None) -> User:
    if db.get(User, id) is not None:
        raise ConflictError(f"user {id} already exists", reason="exists")
    get_jurisdiction_or_raise(db, id=jurisdiction_id)
    user = User(id=id, name=name, role=role, jurisdiction_id=jurisdiction_id,
                password_hash=password_hash, role_since=datetime.now(UTC))
    db.add(user)
    db.flush()
    return user


def create_api_token(db: Session, *, user_id: str, label: str = "",
                     days: int = TOKEN_DAYS, now: datetime | None = None) -> str:
    """Issue a token for scripts acting as this person, valid `days`; shown only once."""
    if db.get(User, user_id) is None:
        raise NotFoundError(f"user {user_id} does not exist", reason="no_user")
    now = now or datetime.now(UTC)
    token = USER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user_id, label=label, token_hash=hash_token(token), created_at=now,
                    expires_at=now + timedelta(days=days)))
    db.flush()
    return token


def revoke_api_tokens(db: Session, *, user_id: str, now: datetime) -> list[str]:
    """Revoke every live token of a person (their password changed or was reset)."""
    rows = list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                  ApiToken.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = now
    return [r.id for r in rows]


def principal_of(db: Session, user: User) -> Principal:
    node = get_jurisdiction_or_raise(db, id=user.jurisdiction_id)
    return Principal(user_id=user.id, role=user.role, jurisdiction_id=node.id,
                     jurisdiction_path=node.path)


def authenticate_api_token(db: Session, *, token: str, now: datetime) -> Principal:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or (row.revoked_at is not None and row.revoked_at <= now):
        raise PermissionDeniedError("unknown or revoked API token", reason="bad_token")
    if row.expires_at is not None and row.expires_at <= now:
        raise PermissionDeniedError(f"the API token expired at {row.expires_at.isoformat()}",
                                    reason="token_expired")
    user = db.get(User, row.user_id)
    if user is None or (user.disabled_at is not None and user.disabled_at <= now):
        raise PermissionDeniedError("the token's user is disabled", reason="user_disabled")
    return principal_of(db, user)


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise PermissionDeniedError(
            f"role {principal.role.value} may not do this; needs one of "
            f"{', '.join(r.value for r in roles)}", reason="role")

