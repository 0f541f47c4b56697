"""CLI verbs of transcription (filled in by the transcription work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add transcription verbs to `aidrec`."""
