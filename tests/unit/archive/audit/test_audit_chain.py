"""The access log's entry hash: canonical, chained, sensitive to every field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from archive.audit.log import GENESIS, Access, chain_entry, entry_payload
from archive.evidence.errors import InvalidInputError

AT = datetime(2026, 11, 2, 3, 4, 5, 678901, tzinfo=UTC)
BASE = Access(action="segment", at=AT, user_id="sup-1", role="supervisor",
              target_type="playback", target_id="g1", recording_id="r1", session_id="s1",
              window_id="w1", scope_path="/yn/km/wh/", reason_kind="complaint",
              reason_ref="投诉〔2026〕0001号", ip="10.0.0.5", user_agent="UA",
              detail={"seq": 3, "bytes": 1000})


def test_hash_is_stable_and_chained() -> None:
    first = chain_entry(GENESIS, entry_payload(1, BASE))
    assert first == chain_entry(GENESIS, entry_payload(1, BASE))
    assert chain_entry(first, entry_payload(2, BASE)) != first
    assert chain_entry("00" * 32, entry_payload(1, BASE)) != first  # another predecessor
    assert entry_payload(1, BASE)["at"] == "2026-11-02T03:04:05.678901Z"


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Access)])
def test_every_field_is_covered(field: str) -> None:
    original = chain_entry(GENESIS, entry_payload(1, BASE))
    value = getattr(BASE, field)
    changed: object = {
        datetime: AT.replace(microsecond=1), dict: {"seq": 4}, type(None): "x",
    }.get(type(value), "changed" if value != "changed" else "other")
    if field in ("reason_kind",):
        changed = "routine"
    altered = dataclasses.replace(BASE, **{field: changed})  # type: ignore[arg-type]
    assert chain_entry(GENESIS, entry_payload(1, altered)) != original


def test_bad_entries_are_refused() -> None:
    for bad, message in ((dataclasses.replace(BASE, action="peek"), "got action 'peek'"),
                         (dataclasses.replace(BASE, reason_kind="curiosity"),
                          "got reason kind 'curiosity'"),
                         (dataclasses.replace(BASE, outcome="maybe"), "got outcome 'maybe'"),
                         (dataclasses.replace(BASE, at=AT.replace(tzinfo=None)),
                          "access time must be aware")):
        with pytest.raises(InvalidInputError, match=message):
            bad.validate()
