"""Canonical JSON (the bytes seals sign) and the one time format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.evidence.canonical import canonical_json, iso

SCALARS = st.none() | st.booleans() | st.integers() | st.text()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


def test_sorted_keys_no_whitespace_utf8_unescaped() -> None:
    value = {"b": [1, {"z": None, "a": True}], "a": "五华区 \"q\"", "é": -0}
    assert canonical_json(value) == ('{"a":"五华区 \\"q\\"","b":[1,{"a":true,"z":null}],'
                                     '"é":0}').encode()


def test_keys_sort_by_code_point() -> None:
    assert canonical_json({"b": 1, "B": 2, "a": 3, "中": 4, "_": 5}) == \
        '{"B":2,"_":5,"a":3,"b":1,"中":4}'.encode()


@pytest.mark.parametrize("value", [
    1.0, [1, 2.5], {"a": {"b": [0, {"c": 0.1}]}}, {"nan": float("nan")}, [[[float("inf")]]],
])
def test_floats_are_refused_at_any_depth(value: Any) -> None:
    with pytest.raises(TypeError, match="floats are not allowed in canonical JSON"):
        canonical_json(value)


@given(VALUES)
def test_round_trips_through_json_loads(value: Any) -> None:
    assert json.loads(canonical_json(value)) == value


@given(VALUES)
def test_is_idempotent(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once


# Text that JSON need not escape: no quotes, backslashes, control characters or surrogates.
PLAIN = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters='"\\'))


@given(PLAIN)
def test_text_is_written_as_utf8_not_escaped(text: str) -> None:
    assert canonical_json([text]) == b'["' + text.encode("utf-8") + b'"]'


UNSPACED = PLAIN.filter(lambda t: not any(c.isspace() for c in t))


@given(st.recursive(st.none() | st.booleans() | st.integers() | UNSPACED,
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(UNSPACED, inner, max_size=4), max_leaves=20))
def test_has_no_insignificant_whitespace(value: Any) -> None:
    assert not any(c.isspace() for c in canonical_json(value).decode("utf-8"))


@given(st.dictionaries(st.text(), SCALARS, max_size=8), st.randoms(use_true_random=False))
def test_key_order_of_the_input_is_irrelevant(value: dict[str, Any], rnd: Any) -> None:
    items = list(value.items())
    rnd.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(value)
    assert canonical_json({"outer": dict(items)}) == canonical_json({"outer": value})


@pytest.mark.parametrize(("moment", "text"), [
    (datetime(2027, 1, 31, 12, 0, tzinfo=UTC), "2027-01-31T12:00:00.000000Z"),
    (datetime(2027, 1, 31, 8, 30, 5, 7, tzinfo=timezone(timedelta(hours=8))),
     "2027-01-31T00:30:05.000007Z"),
    (datetime(2027, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=8))),
     "2026-12-31T17:00:00.000000Z"),  # the day and year roll back to UTC
    (datetime(2027, 1, 31, 20, 0, 0, 999999, tzinfo=timezone(timedelta(hours=-5))),
     "2027-02-01T01:00:00.999999Z"),
])
def test_iso_is_utc_with_microseconds_and_z(moment: datetime, text: str) -> None:
    assert iso(moment) == text


def test_iso_of_nothing_is_nothing() -> None:
    assert iso(None) is None


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.timezones(), allow_imaginary=False))
def test_iso_names_the_same_instant(moment: datetime) -> None:
    text = iso(moment)
    assert text is not None and len(text) == 27 and text.endswith("Z")
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    # Subtraction, not ==: Python never calls an ambiguous local time equal across zones.
    assert parsed - moment == timedelta(0)
