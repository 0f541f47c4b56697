"""The `aidrec` command line: one verb per job; sibling packages add verbs by entry point."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import entry_points

import typer

from archive.cli.common import console
from archive.evidence.errors import ArchiveError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="aidrec: full-process recording and evidence archive.")


def _register_verbs() -> None:
    # Imported here, not at module level: `python -m archive` must stay importable even when a
    # verb's dependencies are broken, so the error names the verb's module.
    from archive.cli import audit, export, registry, stack, verbs

    for module in (stack, registry, verbs, export, audit):
        module.register(app)
    for ep in entry_points(group="aidrec.commands"):
        ep.load()(app)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    _register_verbs()
    try:
        app(args=argv, standalone_mode=True)
    except ArchiveError as exc:
        console.print(f"[red]error ({exc.reason}):[/red] {exc.message}")
        sys.exit(2)
