"""CLI verbs of the recorder agent (filled in by the recorder work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the recorder's verbs to `aidrec`."""
