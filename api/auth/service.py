"""Passwords (argon2id), login with rate limiting, browser sessions with CSRF tokens."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.auth import throttle
from api.auth.errors import NotAuthenticatedError, TooManyAttemptsError
from api.auth.models import LoginSession
from api.settings import WebSettings
from archive.access import people as access
from archive.access.people import Principal
from archive.access.registry import hash_token
from archive.catalog.db import Catalog
from archive.catalog.models import User
from archive.evidence.errors import InvalidInputError, NotFoundError

logger = logging.getLogger(__name__)

COOKIE = "aidrec_session"
CSRF_HEADER = "X-CSRF-Token"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
_MAX_PASSWORD = 200


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so timing does not tell names apart."""
    return _hasher().hash(secrets.token_hex(16))


def check_password_policy(password: str, *, min_length: int) -> None:
    """Raises:
        InvalidInputError: too short, too long, or only one kind of character.
    """
    if not min_length <= len(password) <= _MAX_PASSWORD:
        raise InvalidInputError(f"a password has {min_length}-{_MAX_PASSWORD} characters, got "
                                f"{len(password)}", reason="weak_password")
    if len(set(password)) < 4:
        raise InvalidInputError("a password needs at least 4 different characters",
                                reason="weak_password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def set_password(db: DBSession, *, user_id: str, password: str, min_length: int,
                 now: datetime) -> None:
    """Give a person a new password; their login sessions end and their API tokens are
    revoked (whoever knew the old password may have made some)."""
    check_password_policy(password, min_length=min_length)
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist", reason="no_user")
    user.password_hash = hash_password(password)
    end_sessions(db, user_id=user_id, now=now)
    access.revoke_api_tokens(db, user_id=user_id, now=now)


def end_sessions(db: DBSession, *, user_id: str, now: datetime) -> None:
    """End every open login session of a person (password change, role change, disable)."""
    for row in db.scalars(select(LoginSession).where(LoginSession.user_id == user_id,
                                                     LoginSession.ended_at.is_(None))):
        row.ended_at = now


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    token: str  # for the cookie; stored only as a hash
    csrf_token: str
    principal: Principal
    name: str
    expires_at: datetime


def login(catalog: Catalog, *, username: str, password: str, ip: str, user_agent: str,
          now: datetime, web: WebSettings) -> LoginResult:
    """Check a name and password and open a browser session.

    The attempt is checked against the limits and counted in one transaction before the
    password is checked (`api.auth.throttle`); failures reach the access log one entry per
    burst.

    Raises:
        TooManyAttemptsError: this name or address must wait before its next try; the
            password is not even checked.
        NotAuthenticatedError: wrong name or password, or a disabled account (one message
            for all, so names cannot be probed).
    """
    username, ip = username.strip()[:200], ip[:64]
    with catalog.write() as db:
        decision = throttle.reserve(db, name=username, ip=ip, now=now, web=web)
        throttle.sweep(db, now=now, web=web)
        user = db.get(User, username) if username else None
        stored = user.password_hash if user is not None else None
        disabled = user is not None and user.disabled_at is not None and user.disabled_at <= now
    if decision.retry_after_s is not None:
        raise TooManyAttemptsError(decision.message, retry_after_s=decision.retry_after_s)
    ok = password_matches(stored, password[:_MAX_PASSWORD]) and not disabled
    with catalog.write() as db:
        if ok and user is not None:
            throttle.forgive(db, name=username, ip=ip, now=now, web=web)
        if not ok or user is None:
            result = None
        else:
            if stored and _hasher().check_needs_rehash(stored):
                db.get_one(User, user.id).password_hash = hash_password(password)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            expires = now + timedelta(hours=web.session_max_hours)
            db.add(LoginSession(token_hash=hash_token(token), user_id=user.id, csrf_token=csrf,
                                created_at=now, last_seen_at=now, expires_at=expires,
                                ip=ip[:64], user_agent=user_agent[:300]))
            result = LoginResult(token=token, csrf_token=csrf,
                                 principal=access.principal_of(db, user), name=user.name,
                                 expires_at=expires)
    if result is None:
        raise NotAuthenticatedError("wrong name or password", reason="bad_credentials")
    return result


@dataclass(frozen=True)
class SessionAuth:
    principal: Principal
    token_hash: str
    csrf_token: str
    last_seen_at: datetime


def authenticate_session(db: DBSession, *, token: str, now: datetime,
                         web: WebSettings) -> SessionAuth:
    """The person behind a session cookie.

    Raises:
        NotAuthenticatedError: unknown, ended, idle too long, expired, or the person disabled.
    """
    row = db.get(LoginSession, hash_token(token)) if token else None
    if row is None or row.ended_at is not None:
        raise NotAuthenticatedError("not logged in", reason="no_session")
    if row.expires_at <= now or row.last_seen_at + timedelta(
            minutes=web.session_idle_minutes) <= now:
        raise NotAuthenticatedError("the login session has expired", reason="session_expired")
    user = db.get(User, row.user_id)
    if user is None or (user.disabled_at is not None and user.disabled_at <= now):
        raise NotAuthenticatedError("the account is disabled", reason="user_disabled")
    return SessionAuth(principal=access.principal_of(db, user), token_hash=row.token_hash,
                       csrf_token=row.csrf_token, last_seen_at=row.last_seen_at)


def touch(catalog: Catalog, auth: SessionAuth, *, now: datetime) -> None:
    """Keep an active session alive (written at most once a minute)."""
    if now - auth.last_seen_at < TOUCH_EVERY:
        return
    with catalog.write() as db:
        row = db.get(LoginSession, auth.token_hash)
        if row is not None and row.last_seen_at < now:
            row.last_seen_at = now


def csrf_ok(auth: SessionAuth, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(auth.csrf_token.encode(),
                                                         presented.encode())


def logout(catalog: Catalog, *, token_hash: str, now: datetime) -> None:
    with catalog.write() as db:
        row = db.get(LoginSession, token_hash)
        if row is not None and row.ended_at is None:
            row.ended_at = now
