"""One-time account links: how a person gets a password without anyone knowing it.

An administrator never sets a password nor issues a token for someone else: they create the
account, or reset its password, and get a link to hand over once. The link carries a random
token kept here only as a hash; it works once, until it expires, and only the newest link of
an account works. A reset clears the password and ends the person's sessions and tokens at
once, so the old password stops working. Whoever used the link, the person sees every link
made for their account, by whom and when, on their account page and at their next login.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as DBSession

from api.auth.models import LoginSession
from archive.access import people as access
from archive.access.registry import hash_token
from archive.catalog.models import Base, User
from archive.evidence.errors import InvalidInputError, NotFoundError

LINK_PREFIX = "aidrec_act_"
ACTIVATION, RESET = "activation", "reset"
PAGE = "/activate"  # the token travels in the fragment: never sent to a server or a log


class AccountLink(Base):
    """A one-time link to choose a password (a new account's, or after a reset)."""

    __tablename__ = "account_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))  # a user id, or "console"
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_ip: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None]  # a newer link replaced it


@dataclass(frozen=True)
class IssuedLink:
    user_id: str
    kind: str
    token: str  # shown once
    expires_at: datetime

    def url(self, public_url: str | None) -> str:
        return f"{(public_url or '').rstrip('/')}{PAGE}#{self.token}"


def end_credentials(db: DBSession, *, user_id: str, now: datetime) -> list[str]:
    """End every login session and revoke every API token of a person; the token ids."""
    for row in db.scalars(select(LoginSession).where(LoginSession.user_id == user_id,
                                                     LoginSession.ended_at.is_(None))):
        row.ended_at = now
    return access.revoke_api_tokens(db, user_id=user_id, now=now)


def issue(db: DBSession, *, user: User, created_by: str, now: datetime,
          hours: int) -> IssuedLink:
    """A new link for the account (an activation without a password, else a reset).

    A reset clears the password and ends every session and token now; earlier links stop.
    """
    kind = RESET if user.password_hash is not None else ACTIVATION
    for old in db.scalars(select(AccountLink).where(AccountLink.user_id == user.id,
                                                    AccountLink.used_at.is_(None),
                                                    AccountLink.revoked_at.is_(None))):
        old.revoked_at = now
    user.password_hash = None
    end_credentials(db, user_id=user.id, now=now)
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    db.add(AccountLink(token_hash=hash_token(token), user_id=user.id, kind=kind,
                       created_by=created_by, created_at=now, expires_at=expires))
    db.flush()
    return IssuedLink(user_id=user.id, kind=kind, token=token, expires_at=expires)


def redeem(db: DBSession, *, token: str, password_hash: str, ip: str, now: datetime) -> User:
    """Use a link: the person's password becomes the one they chose.

    Raises:
        NotFoundError ("bad_link"): unknown, used, replaced or expired (one answer for all).
        InvalidInputError ("user_disabled"): the account is disabled.
    """
    row = db.get(AccountLink, hash_token(token), with_for_update=True) if token else None
    if row is None or row.used_at is not None or row.revoked_at is not None \
            or row.expires_at <= now:
        raise NotFoundError("this link is unknown, used, replaced or expired; ask an "
                            "administrator for a new one", reason="bad_link")
    user = db.get_one(User, row.user_id)
    if user.disabled_at is not None and user.disabled_at <= now:
        raise InvalidInputError("the account is disabled", reason="user_disabled")
    row.used_at, row.used_ip = now, ip[:64]
    user.password_hash = password_hash
    end_credentials(db, user_id=user.id, now=now)
    return user


@dataclass(frozen=True)
class Notice:
    """A link made for the person's account by someone else."""

    kind: str
    by: str
    by_name: str
    at: datetime
    used_at: datetime | None


def history(db: DBSession, *, user_id: str, since: datetime | None = None) -> list[Notice]:
    """Links made for the account by anyone but the person, newest first (since a moment)."""
    query = select(AccountLink).where(AccountLink.user_id == user_id,
                                      AccountLink.created_by != user_id)
    if since is not None:
        query = query.where(AccountLink.created_at > since)
    rows = list(db.scalars(query.order_by(AccountLink.created_at.desc()).limit(50)))
    names = {u.id: u.name for u in db.scalars(select(User).where(
        User.id.in_({r.created_by for r in rows})))}
    return [Notice(kind=r.kind, by=r.created_by, by_name=names.get(r.created_by, r.created_by),
                   at=r.created_at, used_at=r.used_at) for r in rows]


def since_last_login(db: DBSession, *, user_id: str) -> list[Notice]:
    """What the person has not seen at a login yet: links made after their previous login
    session began (all of them at the first login)."""
    starts = list(db.scalars(select(LoginSession.created_at).where(
        LoginSession.user_id == user_id).order_by(LoginSession.created_at.desc()).limit(2)))
    return history(db, user_id=user_id, since=starts[1] if len(starts) > 1 else None)
