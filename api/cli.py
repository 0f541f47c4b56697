"""`aidrec api` serves the web service; `aidrec web set-password` sets the first
administrator's password, or prints a one-time link for anyone else."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.app import create_app
from api.auth import links
from api.auth import service as auth_service
from api.settings import WebSettings
from archive.access import people as access
from archive.audit import log as audit
from archive.catalog.models import User
from archive.cli.common import ConfigOpt, console, open_archive, settings_from
from archive.evidence.errors import NotFoundError
from archive.evidence.vocabulary import Role
from archive.services import Archive
from archive.settings import load_section

web_app = typer.Typer(no_args_is_help=True, help="The web service: people's passwords.")
CONSOLE = "console"  # who made a link or set a password at the server's console


def _first_admin_free(db: DBSession, user: User) -> bool:
    """Only while no administrator has a password: the console sets the first one's."""
    return user.role is Role.ADMIN and db.scalar(select(User.id).where(
        User.role == Role.ADMIN, User.password_hash.is_not(None)).limit(1)) is None


@web_app.command("set-password")
def set_password(
    user: Annotated[str, typer.Argument(help="the person's id (aidrec admin add-user)")],
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from stdin")]
    = False,
    config: ConfigOpt = None,
) -> None:
    """Set the first administrator's password (asked twice, or one line on stdin) while no
    administrator has one; for anyone else print a one-time link with which the person
    chooses their own (their old password, sessions and tokens stop)."""
    archive = open_archive(config)
    web = load_section(WebSettings, archive.settings)
    now = datetime.now(UTC)
    with archive.catalog.read() as db:
        found = db.get(User, user)
        if found is None:
            raise NotFoundError(f"user {user} does not exist", reason="no_user")
        bootstrap = _first_admin_free(db, found)
    if bootstrap:
        if stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with archive.catalog.write() as db:
        target = db.get_one(User, user, with_for_update=True)
        path = access.principal_of(db, target).jurisdiction_path
        if bootstrap and _first_admin_free(db, target):
            auth_service.set_password(db, user_id=user, password=password,
                                      min_length=web.password_min_length, now=now)
            change, link = "first_admin_password", None
        else:
            link = links.issue(db, user=target, created_by=CONSOLE, now=now,
                               hours=web.account_link_hours)
            change = "password_reset" if link.kind == links.RESET else "activation_link"
        audit.append(db, audit.Access(action="admin", at=now, target_type="user",
                                      target_id=user, scope_path=path,
                                      detail={"change": change, "by": CONSOLE}))
    if link is None:
        console.print(f"password of {user} set (first administrator)")
        return
    console.print(f"one-time link for {user} ({link.kind}, until {link.expires_at.isoformat()}"
                  f"); {user} chooses their password with it:")
    typer.echo(link.url(archive.settings.public_url))


def api(config: ConfigOpt = None, host: str = "127.0.0.1",
        port: Annotated[int | None, typer.Option()] = None) -> None:
    """Serve the API and web UI (uvicorn)."""
    settings = settings_from(config)
    archive = Archive.from_settings(settings)
    archive.catalog.migrate()
    uvicorn.run(create_app(settings, archive=archive), host=host,
                port=port or settings.ports.api, log_level="info")


def register(app: typer.Typer) -> None:
    """Entry point `aidrec.commands`: web = "api.cli:register"."""
    app.add_typer(web_app, name="web")
    app.command("api")(api)
