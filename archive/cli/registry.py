"""`aidrec admin …`: register jurisdictions, windows, devices and people.

There is no verb that issues a person's API token: people issue their own (`/account`), so no
one, the console included, holds a credential made for somebody else. Every change made here
is an access-log entry by the console operator, in the same transaction as the change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.orm import Session as DBSession

from archive.access import people, registry
from archive.audit import log as audit
from archive.cli.common import ConfigOpt, console, open_archive, operator
from archive.evidence.vocabulary import JurisdictionLevel, Role, WindowKind


def _logged(db: DBSession, target_type: str, target_id: str, change: str) -> None:
    audit.append(db, audit.Access(
        action="admin", at=datetime.now(UTC), role="operator", target_type=target_type,
        target_id=target_id, detail={"change": change, "actor": operator().id, "via": "console"}))


admin = typer.Typer(no_args_is_help=True, help="Register jurisdictions, windows and devices.")


@admin.command("add-jurisdiction")
def add_jurisdiction(id: str, name: str, level: JurisdictionLevel,
                     parent: Annotated[str | None, typer.Option()] = None,
                     config: ConfigOpt = None) -> None:
    """Add a province, prefecture, county or station."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        registry.create_jurisdiction(db, id=id, name=name, level=level, parent_id=parent)
        _logged(db, "jurisdiction", id, "created")
    console.print(f"jurisdiction {id} added")


@admin.command("add-window")
def add_window(id: str, name: str, jurisdiction: str,
               kind: Annotated[WindowKind, typer.Option()] = WindowKind.WINDOW,
               config: ConfigOpt = None) -> None:
    """Add a service window, interview room or hotline line."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        registry.create_window(db, id=id, name=name, jurisdiction_id=jurisdiction, kind=kind)
        _logged(db, "window", id, "created")
    console.print(f"window {id} added")


@admin.command("add-device")
def add_device(id: str, name: str, jurisdiction: str, config: ConfigOpt = None) -> None:
    """Register a recorder agent and print its token (shown only once)."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        _, token = registry.create_device(db, id=id, name=name, jurisdiction_id=jurisdiction)
        _logged(db, "device", id, "created")
    typer.echo(token)


@admin.command("rotate-device")
def rotate_device(id: str, config: ConfigOpt = None) -> None:
    """Issue a new token for a device and print it (once); its old token is refused at once."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        token = registry.rotate_device(db, id=id, now=datetime.now(UTC))
        _logged(db, "device", id, "token_rotated")
    typer.echo(token)


@admin.command("revoke-device")
def revoke_device(id: str, config: ConfigOpt = None) -> None:
    """Refuse a device's token from now on (for a lost or retired recorder)."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        registry.revoke_device(db, id=id, now=datetime.now(UTC))
        _logged(db, "device", id, "revoked")
    console.print(f"device {id} revoked: its token is refused from now on")


@admin.command("add-user")
def add_user(id: str, name: str, role: Role, jurisdiction: str,
             config: ConfigOpt = None) -> None:
    """Add a person with a role, scoped to a jurisdiction subtree."""
    archive = open_archive(config)
    with archive.catalog.write() as db:
        people.create_user(db, id=id, name=name, role=role, jurisdiction_id=jurisdiction)
        _logged(db, "user", id, "created")
    console.print(f"user {id} added")


def register(app: typer.Typer) -> None:
    app.add_typer(admin, name="admin")
