"""Catalog tables of login: browser sessions and bursts of failed logins (rate limiting)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalog.models import Base
from archive.catalog.types import utcnow


class LoginSession(Base):
    """A browser session; the cookie carries a random token stored here only as a hash."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ended_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """A burst of failed logins of one name (kind "user") or from one address ("ip").

    Counted and checked in one transaction with each attempt; the burst ends, and is written
    to the access log as one entry with its counts, after `login_window_minutes` without a
    failure (or when the person logs in).
    """

    __tablename__ = "login_throttles"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # passwords checked (or in check)
    refused: Mapped[int] = mapped_column(Integer, default=0)  # answered 429, nothing checked
    first_at: Mapped[datetime]
    last_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]
    # The other side of the attempts: addresses of a name, names from an address (a few).
    seen: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
