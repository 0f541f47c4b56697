"""`aidrec web …`: set a person's password for the web login (the first administrator's too)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from archive.cli.app import ConfigOpt, console

web_app = typer.Typer(no_args_is_help=True, help="The web service: passwords of people.")


@web_app.command("set-password")
def set_password(
    user: Annotated[str, typer.Argument(help="the person's id (aidrec admin add-user)")],
    stdin: Annotated[bool, typer.Option("--stdin", help="read the password from stdin")]
    = False,
    config: ConfigOpt = None,
) -> None:
    """Give a person a password (asked twice, or one line on stdin); ends their sessions."""
    from api.auth import service as auth_service
    from api.settings import load_web_settings
    from archive.cli.verbs import open_archive

    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    archive = open_archive(config)
    web = load_web_settings(archive.settings.home)
    with archive.catalog.write() as db:
        auth_service.set_password(db, user_id=user, password=password,
                                  min_length=web.password_min_length, now=datetime.now(UTC))
    console.print(f"password of {user} set")


def register(app: typer.Typer) -> None:
    """Entry point `aidrec.commands`: web = "api.cli:register"."""
    app.add_typer(web_app, name="web")
