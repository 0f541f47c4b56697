"""Flags: phrase lists raise flags at the moment the phrase was said."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from transcribe.errors import PhraseListError
from transcribe.flags import (
    SessionSpan,
    find_flags,
    load_phrasebook,
    missing_notices,
    parse_phrasebook,
    phrase_times,
)
from transcribe.stitch import Line, LineWord

BOOK = load_phrasebook()


def line(offset_ms: int, words: list[str], step: int = 250) -> Line:
    items = tuple(LineWord(offset_ms + i * step, offset_ms + (i + 1) * step, w, 900)
                  for i, w in enumerate(words))
    return Line(offset_ms=offset_ms, end_offset_ms=items[-1].end_offset_ms,
                text="".join(words).strip(), words=items, seqs=(0,))


def test_builtin_lists_cover_the_brief() -> None:
    assert set(BOOK.kinds) == {"money", "refusal", "rudeness", "notice_missing"}
    phrases = {p for r in BOOK.rules for p in r.phrases}
    assert {"收费", "红包", "好处费", "辛苦费", "不归我们管", "去别的地方", "下次再来"} <= phrases


def test_a_phrase_split_over_words_flags_at_its_first_word() -> None:
    (hit,) = find_flags([line(10_000, ["这个", "要", "收", "费", "吗"])], BOOK)
    assert (hit.kind, hit.phrase, hit.offset_ms, hit.end_offset_ms) == (
        "money", "收费", 10_500, 11_000)
    assert hit.text == "这个要收费吗" and hit.weight == 5


def test_english_phrases_match_whole_words_any_case() -> None:
    hits = find_flags([line(0, [" Please", " COME", " back", " next", " time."])], BOOK)
    assert [(h.kind, h.phrase, h.offset_ms) for h in hits] == [
        ("refusal", "come back next time", 250)]
    assert find_flags([line(0, [" outcome", " backnext"])], BOOK) == []


def test_unless_phrases_suppress_the_opposite_meaning() -> None:
    assert find_flags([line(0, ["我们", "不", "收费"])], BOOK) == []
    assert find_flags([line(0, [" It", " is", " free", " of", " charge."])], BOOK) == []
    assert [h.kind for h in find_flags([line(0, ["不", "收费", "，", "但", "要", "红包"])],
                                       BOOK)] == ["money"]


def test_the_longer_phrase_wins_at_one_moment() -> None:
    hits = find_flags([line(0, ["这", "不归我们管"])], BOOK)
    assert [h.phrase for h in hits] == ["不归我们管"]


def test_lines_without_word_times_use_the_line_times() -> None:
    bare = Line(offset_ms=3000, end_offset_ms=5000, text="给个红包吧", words=(), seqs=(0,))
    (hit,) = find_flags([bare], BOOK)
    assert (hit.offset_ms, hit.end_offset_ms) == (3000, 5000)


def test_missing_notice_per_session() -> None:
    lines = [line(1_000, ["您好"]), line(5_000, ["本次", "接待", "全程", "录音", "录像"]),
             line(700_000, ["您好"]), line(1_000_000, ["再见"])]
    spans = [SessionSpan("s1", 0, 600_000), SessionSpan("s2", 600_000, 900_000),
             SessionSpan("s3", 900_000, None), SessionSpan("s4", 2_000_000, 2_100_000)]
    hits = missing_notices(lines, spans, BOOK, within_ms=300_000)
    assert [(h.session_id, h.offset_ms, h.kind) for h in hits] == [
        ("s2", 600_000, "notice_missing"), ("s3", 900_000, "notice_missing")]


def test_a_notice_said_too_late_counts_as_missing() -> None:
    lines = [line(1_000, ["您好"]), line(400_000, ["全程录音"])]
    hits = missing_notices(lines, [SessionSpan(None, 0, None)], BOOK, within_ms=300_000)
    assert [h.session_id for h in hits] == [None]


def test_phrase_times() -> None:
    assert phrase_times(line(0, [" a", " red", " envelope"]), "red envelope") == [(250, 750)]


def test_custom_phrase_lists_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "phrases.toml"
    path.write_text('[[rule]]\nkind = "money"\nzh = ["紅包"]\nweight = 2\n', encoding="utf-8")
    book = load_phrasebook(path)
    assert book.rules[0].phrases == ("红包",)  # traditional in the list is simplified
    cases: list[tuple[dict[str, Any], str]] = [
        ({"rule": [{"kind": "x", "zh": []}]}, "no phrases"),
        ({"rule": [{"kind": "x", "zh": ["a"], "colour": 1}]}, "unknown keys"),
        ({"rule": [{"kind": "x y", "zh": ["a"]}]}, "kind must be"),
        ({"rule": [{"kind": "x", "zh": ["a"]}, {"kind": "x", "en": ["b"]}]}, "twice"),
        ({"rule": [{"kind": "x", "zh": ["!!"]}]}, "no letters"),
        ({"rule": [{"kind": "x", "zh": ["a"], "weight": 0}]}, "weight"),
        ({"rules": []}, "unknown keys"),
        ({}, "no rules"),
    ]
    for bad, message in cases:
        with pytest.raises(PhraseListError, match=message):
            parse_phrasebook(bad)
    path.write_text("[[rule]\n", encoding="utf-8")
    with pytest.raises(PhraseListError, match=r"phrase list .*phrases\.toml: "):
        load_phrasebook(path)
    assert tomllib  # the format is TOML
