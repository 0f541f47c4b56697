"""Chinese script: Whisper often writes traditional characters; the archive keeps simplified."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

CHINESE = frozenset({"zh", "yue"})


@functools.cache
def _t2s() -> Callable[[str], str]:
    from opencc import OpenCC

    converter = OpenCC("t2s")
    convert: Callable[[str], str] = converter.convert
    return convert


def to_simplified(text: str) -> str:
    """Traditional to simplified Chinese (OpenCC t2s); other scripts pass through unchanged."""
    return _t2s()(text) if text else text


def simplify_pieces(pieces: Sequence[str]) -> list[str]:
    """Convert word pieces together, so phrase rules see context, and split them back."""
    joined = "".join(pieces)
    converted = to_simplified(joined)
    if len(converted) != len(joined):
        return [to_simplified(p) for p in pieces]  # a phrase changed length: piece by piece
    out, at = [], 0
    for piece in pieces:
        out.append(converted[at:at + len(piece)])
        at += len(piece)
    return out
