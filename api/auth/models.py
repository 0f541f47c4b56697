"""Catalog tables of login: browser sessions and login attempts (for rate limiting)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
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


class LoginAttempt(Base):
    """One try at a password; failures within a window are counted per name and per address."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(default=False)


Index("ix_login_attempts_username_at", LoginAttempt.username, LoginAttempt.at)
Index("ix_login_attempts_ip_at", LoginAttempt.ip, LoginAttempt.at)
