"""Demo setup for `make run` (filled in by the recorder work)."""

from __future__ import annotations

from archive.settings import Settings


def start_demo(settings: Settings) -> None:
    """Register a demo window and start a virtual camera recording into the local stack."""
