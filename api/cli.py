"""`aidrec api` serves the web service; `aidrec web …` sets a person's password for its login."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.auth import service as auth_service
from api.settings import WebSettings
from archive.cli.common import ConfigOpt, console, open_archive, settings_from
from archive.services import Archive
from archive.settings import load_section

web_app = typer.Typer(no_args_is_help=True, help="The web service: passwords of people.")


@web_app.command("set-password")
def set_password(
    user: Annotated[str, typer.Argument(help="the person's id (aidrec admin add-user)")],
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from stdin")]
    = False,
    config: ConfigOpt = None,
) -> None:
    """Give a person a password (asked twice, or one line on stdin); ends their sessions."""
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    archive = open_archive(config)
    web = load_section(WebSettings, archive.settings)
    with archive.catalog.write() as db:
        auth_service.set_password(db, user_id=user, password=password,
                                  min_length=web.password_min_length, now=datetime.now(UTC))
    console.print(f"password of {user} set")


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
