"""Transcription jobs (filled in by the transcription work)."""

from __future__ import annotations

from archive.jobs import JobRegistry


def register(registry: JobRegistry) -> None:
    """Add transcription tasks and subscribe them to archive events."""
