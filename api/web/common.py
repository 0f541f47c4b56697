"""Helpers shared by the page modules."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.rows import pairs
from api.web.render import Pages
from archive.catalog.models import User
from archive.services import Archive


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def render(request: Request, name: str, **context: Any) -> HTMLResponse:
    return pages_of(request).render(request, name, context)


def me(archive: Archive, user_id: str) -> User:
    """The logged-in person's catalog row (name for the header)."""
    with archive.catalog.read() as db:
        return db.get_one(User, user_id)


def names_of(archive_db: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(pairs(archive_db.execute(select(User.id, User.name).where(User.id.in_(ids)))))
