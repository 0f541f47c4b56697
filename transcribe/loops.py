"""Repetition loops: a phrase the decoder repeats over and over is kept once."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

MAX_PERIOD = 12  # longest repeated phrase, in tokens, that counts as a loop
MIN_LOOP_TOKENS = 6  # a loop spans at least this many tokens ("no no no" is speech)


def loop_key(token: str) -> str:
    """Compare tokens by their letters and digits only, case-folded."""
    return "".join(c for c in token.casefold() if unicodedata.category(c)[0] in "LN")


def kept_indices(tokens: Sequence[str], *, min_repeats: int) -> list[int]:
    """Indices of `tokens` to keep once loops are cut to their first occurrence.

    A loop is a run of `period` tokens repeated at least `min_repeats` times in a row,
    `MIN_LOOP_TOKENS` tokens long at least; the shortest period wins.
    """
    keys = [loop_key(t) for t in tokens]
    kept: list[int] = []
    i, n = 0, len(keys)
    while i < n:
        period, repeats = _loop_at(keys, i, min_repeats)
        if period:
            kept.extend(range(i, i + period))
            i += period * repeats
        else:
            kept.append(i)
            i += 1
    return kept


def _loop_at(keys: Sequence[str], start: int, min_repeats: int) -> tuple[int, int]:
    n = len(keys)
    for period in range(1, min(MAX_PERIOD, (n - start) // min_repeats) + 1):
        unit = keys[start:start + period]
        if not any(unit):
            continue  # punctuation-only tokens never form a loop on their own
        repeats = 1
        while keys[start + repeats * period:start + (repeats + 1) * period] == unit:
            repeats += 1
        if repeats >= min_repeats and repeats * period >= MIN_LOOP_TOKENS:
            return period, repeats
    return 0, 0


def cut_loops(tokens: Sequence[str], *, min_repeats: int) -> list[str]:
    """`tokens` with loops cut (convenience over kept_indices)."""
    return [tokens[i] for i in kept_indices(tokens, min_repeats=min_repeats)]
