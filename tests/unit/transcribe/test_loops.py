"""Repetition loops are cut to their first occurrence; ordinary repetition is speech."""

from __future__ import annotations

import pytest

from transcribe.loops import cut_loops, kept_indices


@pytest.mark.parametrize(("tokens", "expected"), [
    ("额" * 12, "额"),  # a one-token loop
    ("我们 不 收费 " * 5 + "谢谢", "我们 不 收费 谢谢"),  # a phrase looped, then speech
    ("a b a b a b a b c", "a b c"),
    ("no no no", "no no no"),  # three words: speech, not a loop
    ("好的 好的", "好的 好的"),
    ("Thank you. thank you THANK YOU! thank you", "Thank you."),  # case and punctuation
    ("", ""),
])
def test_cut_loops(tokens: str, expected: str) -> None:
    source = list(tokens) if " " not in tokens else tokens.split()
    want = list(expected) if " " not in expected else expected.split()
    assert cut_loops(source, min_repeats=3) == want


def test_punctuation_alone_is_no_loop() -> None:
    assert kept_indices([",", ",", ",", ",", ",", ",", "ok"], min_repeats=3) == list(range(7))


def test_min_repeats_is_respected() -> None:
    tokens = ["x", "y", "x", "y", "x", "y"]
    assert cut_loops(tokens, min_repeats=4) == tokens
    assert cut_loops(tokens, min_repeats=3) == ["x", "y"]
