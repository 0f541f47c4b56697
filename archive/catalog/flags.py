"""Which sessions and recordings carry flags, found by entry point: flags are raised by sibling
packages (transcribe's phrase and missing-notice flags), and `archive` never imports them.

A flag source is registered under `aidrec.flag_sources`, for example in transcribe's pyproject
section: `transcribe = "transcribe.flags_source:flagged"`. Retention reads it to keep flagged
sessions longer; every source is called inside the caller's catalog transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Protocol

from sqlalchemy.orm import Session as DBSession

FLAG_SOURCES = "aidrec.flag_sources"


class FlagSource(Protocol):
    """Of these recordings: the flagged session ids, and the recordings with a flag raised
    outside any session."""

    def __call__(self, db: DBSession,
                 recording_ids: Sequence[str]) -> tuple[set[str], set[str]]: ...


def load_flag_sources() -> dict[str, FlagSource]:
    return {ep.name: ep.load() for ep in entry_points(group=FLAG_SOURCES)}


def flagged(db: DBSession, recording_ids: Sequence[str]) -> tuple[set[str], set[str]]:
    """Every source's flagged sessions and recordings of `recording_ids`, together."""
    sessions: set[str] = set()
    recordings: set[str] = set()
    for source in load_flag_sources().values():
        more_sessions, more_recordings = source(db, recording_ids)
        sessions |= more_sessions
        recordings |= more_recordings
    return sessions, recordings
