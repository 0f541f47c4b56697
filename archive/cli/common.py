"""What every `aidrec` verb shares: the console, the --config option, errors, opening the archive.

Sibling packages import these when they add verbs; nothing here imports a verb module.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from archive.ingest.service import Actor
from archive.services import Archive
from archive.settings import Settings, load_settings

console = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML configuration file")]


def settings_from(config: Path | None) -> Settings:
    return load_settings(config)


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def operator() -> Actor:
    """The person at the console of an archive host; not scoped to a jurisdiction."""
    return Actor(id=f"operator:{getpass.getuser()}", jurisdiction_id=None)


def open_archive(config: Path | None) -> Archive:
    archive = Archive.from_settings(settings_from(config))
    archive.catalog.migrate()
    return archive
