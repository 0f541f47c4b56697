"""`aidrec admin …`: register jurisdictions, windows, devices, people and their tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from archive.access import people, registry
from archive.cli.common import ConfigOpt, console, open_archive
from archive.evidence.vocabulary import JurisdictionLevel, Role, WindowKind

admin = typer.Typer(no_args_is_help=True, help="Register jurisdictions, windows and devices.")


@admin.command("add-jurisdiction")
def add_jurisdiction(id: str, name: str, level: JurisdictionLevel,
                     parent: Annotated[str | None, typer.Option()] = None,
                     config: ConfigOpt = None) -> None:
    """Add a province, prefecture, county or station."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        registry.create_jurisdiction(db, id=id, name=name, level=level, parent_id=parent)
    console.print(f"jurisdiction {id} added")


@admin.command("add-window")
def add_window(id: str, name: str, jurisdiction: str,
               kind: Annotated[WindowKind, typer.Option()] = WindowKind.WINDOW,
               config: ConfigOpt = None) -> None:
    """Add a service window, interview room or hotline line."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        registry.create_window(db, id=id, name=name, jurisdiction_id=jurisdiction, kind=kind)
    console.print(f"window {id} added")


@admin.command("add-device")
def add_device(id: str, name: str, jurisdiction: str, config: ConfigOpt = None) -> None:
    """Register a recorder agent and print its token (shown only once)."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        _, token = registry.create_device(db, id=id, name=name, jurisdiction_id=jurisdiction)
    typer.echo(token)


@admin.command("add-user")
def add_user(id: str, name: str, role: Role, jurisdiction: str,
             config: ConfigOpt = None) -> None:
    """Add a person with a role, scoped to a jurisdiction subtree."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        people.create_user(db, id=id, name=name, role=role, jurisdiction_id=jurisdiction)
    console.print(f"user {id} added")


@admin.command("add-token")
def add_token(user: str, label: Annotated[str, typer.Option()] = "",
              config: ConfigOpt = None) -> None:
    """Issue an API token for a person (printed once)."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        token = people.create_api_token(db, user_id=user, label=label)
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.add_typer(admin, name="admin")
