"""Recorder presence: "recorder offline" gaps when heartbeats stop during opening hours."""

from __future__ import annotations

from archive.jobs import JobRegistry


def register(registry: JobRegistry) -> None:
    """Add the periodic presence check (filled in by the recorder work)."""
