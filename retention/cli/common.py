"""What the retention verbs share: their options, the person acting, and how values print."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from archive.access.people import Principal, principal_of
from archive.catalog.models import User
from archive.cli.common import fail
from archive.services import Archive
from archive.settings import load_section
from retention.settings import RetentionSettings

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
UserOpt = Annotated[str, typer.Option("--user", help="the person acting (role is checked)")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (logged)")]


def out() -> Console:
    """Standard output, built per command: it reads the terminal width from the environment."""
    return Console(highlight=False, soft_wrap=True)


def retention_settings(archive: Archive) -> RetentionSettings:
    return load_section(RetentionSettings, archive.settings)


def principal(archive: Archive, user: str) -> Principal:
    """The person `--user` names, with their role and jurisdiction."""
    with archive.catalog.read() as db:
        person = db.get(User, user)
        if person is None or person.disabled_at is not None:
            raise fail(f"user {user} does not exist or is disabled")
        return principal_of(db, person)


def now() -> datetime:
    return datetime.now(UTC)


def day(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")
