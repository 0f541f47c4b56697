"""Flag sources: found by entry point, their answers joined."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from archive.catalog import flags
from transcribe.flags_source import flagged as transcribe_flagged


def test_transcribe_is_a_registered_flag_source() -> None:
    assert flags.load_flag_sources()["transcribe"] is transcribe_flagged


def test_the_answers_of_every_source_are_joined(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, list[str]]] = []

    def source(name: str, sessions: set[str], recordings: set[str]) -> flags.FlagSource:
        def answer(db: Any, recording_ids: Sequence[str]) -> tuple[set[str], set[str]]:
            asked.append((name, list(recording_ids)))
            return sessions, recordings
        return answer

    monkeypatch.setattr(flags, "load_flag_sources", lambda: {
        "a": source("a", {"s1"}, {"r1"}), "b": source("b", {"s2"}, set())})
    assert flags.flagged(None, ["r1", "r2"]) == ({"s1", "s2"}, {"r1"})  # type: ignore[arg-type]
    assert asked == [("a", ["r1", "r2"]), ("b", ["r1", "r2"])]


def test_no_source_flags_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flags, "load_flag_sources", dict)
    assert flags.flagged(None, ["r1"]) == (set(), set())  # type: ignore[arg-type]
