"""Search tokens: jieba word segmentation for Chinese, words for other scripts.

Index and query go through the same normalisation, so the database only ever compares whole
tokens: lines are indexed with jieba's search mode (words and the dictionary words inside
them), queries with its precise mode; every query token must be present.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from transcribe.script import to_simplified

_lock = threading.Lock()
_ready = False
MAX_TOKEN_CHARS = 64


def ensure_jieba(cache_dir: Path | None = None) -> None:
    """Load jieba's dictionary once per process (~1.5 s); its cache goes to `cache_dir`."""
    global _ready
    with _lock:
        if _ready:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            jieba.dt.tmp_dir = str(cache_dir)
        jieba.initialize()
        _ready = True


def _split(token: str) -> list[str]:
    """Letters and digits only, case-folded; other characters split a token."""
    text = "".join(c if unicodedata.category(c)[0] in "LN" else " " for c in token.casefold())
    return [t[:MAX_TOKEN_CHARS] for t in text.split()]


def _normalise(pieces: Iterable[str]) -> list[str]:
    out: list[str] = []
    for piece in pieces:
        out.extend(_split(piece))
    return out


def index_tokens(text: str) -> list[str]:
    """Tokens a line is indexed under (search mode: "收费标准" gives 收费, 标准, 收费标准)."""
    import jieba

    ensure_jieba()
    return _normalise(jieba.cut_for_search(text, HMM=False))


def index_text(text: str) -> str:
    """The space-separated token string stored beside a line for the full-text index."""
    return " ".join(index_tokens(text))


def query_tokens(query: str) -> list[str]:
    """Tokens of a search query (precise mode), traditional characters made simplified."""
    import jieba

    ensure_jieba()
    seen: dict[str, None] = {}
    for token in _normalise(jieba.cut(to_simplified(query), HMM=False)):
        seen.setdefault(token, None)
    return list(seen)
