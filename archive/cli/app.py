"""The `aidrec` command line: one verb per job; sibling packages add verbs by entry point."""

from __future__ import annotations

import json
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from archive.evidence.errors import ArchiveError
from archive.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="aidrec: full-process recording and evidence archive.")
console = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML configuration file")]


def settings_from(config: Path | None) -> Settings:
    return load_settings(config)


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _register_plugins() -> None:
    from archive.cli import stack as cli_stack
    from archive.cli import verbs as cli_archive

    cli_stack.register(app)
    cli_archive.register(app)
    for ep in entry_points(group="aidrec.commands"):
        ep.load()(app)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    _register_plugins()
    try:
        app(args=argv, standalone_mode=True)
    except ArchiveError as exc:
        console.print(f"[red]error ({exc.reason}):[/red] {exc.message}")
        sys.exit(2)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
