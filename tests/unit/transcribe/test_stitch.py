"""Stitching segment transcripts into one recording transcript in absolute time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from transcribe.clean import ChunkLine, ChunkWord
from transcribe.stitch import Chunk, join_text, stitch

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def line(start: int, words: list[str], step: int = 300) -> ChunkLine:
    items = tuple(ChunkWord(start + i * step, start + (i + 1) * step, w, 900)
                  for i, w in enumerate(words))
    return ChunkLine(start_ms=start, end_ms=items[-1].end_ms, text="".join(words).strip(),
                     words=items)


def chunk(seq: int, at_s: float, lines: list[ChunkLine], duration_ms: int = 5000) -> Chunk:
    return Chunk(seq=seq, started_at=START + timedelta(seconds=at_s), duration_ms=duration_ms,
                 lines=tuple(lines))


def test_speech_across_a_boundary_becomes_one_line() -> None:
    out = stitch([chunk(0, 0, [line(500, [" The", " officer"]), line(4200, [" said", " that"])]),
                  chunk(1, 5, [line(100, [" legal", " aid"]), line(3000, [" Thanks."])])],
                 recording_started_at=START, join_gap_ms=1500)
    assert [(x.text, x.offset_ms, x.seqs) for x in out] == [
        ("The officer", 500, (0,)), ("said that legal aid", 4200, (0, 1)),
        ("Thanks.", 8000, (1,))]
    joined = out[1]
    assert [w.offset_ms for w in joined.words] == [4200, 4500, 5100, 5400]
    assert joined.started_at(START) == START + timedelta(milliseconds=4200)


def test_no_join_across_a_missing_segment_or_a_long_pause() -> None:
    tail = chunk(0, 0, [line(4200, [" said", " that"])])
    gap = stitch([tail, chunk(2, 10, [line(100, [" legal"])])], recording_started_at=START,
                 join_gap_ms=1500)
    assert len(gap) == 2
    pause = stitch([tail, chunk(1, 5, [line(1800, [" legal"])])], recording_started_at=START,
                   join_gap_ms=1500)
    assert len(pause) == 2


def test_segments_out_of_order_are_sorted() -> None:
    out = stitch([chunk(1, 5, [line(2000, ["二"])]), chunk(0, 0, [line(1000, ["一"])])],
                 recording_started_at=START, join_gap_ms=1500)
    assert [x.text for x in out] == ["一", "二"]


def test_chinese_joins_without_a_space() -> None:
    out = stitch([chunk(0, 0, [line(4000, ["这个", "要"])]),
                  chunk(1, 5, [line(0, ["收", "费", "吗"])])],
                 recording_started_at=START, join_gap_ms=1500)
    assert [x.text for x in out] == ["这个要收费吗"]


def test_overlapping_segments_drop_repeated_words() -> None:
    # The second segment starts 1 s before the first ends and hears "said that" again.
    out = stitch([chunk(0, 0, [line(4200, [" said", " that"])]),
                  chunk(1, 4, [line(100, [" said", " that", " legal", " aid"])])],
                 recording_started_at=START, join_gap_ms=1500)
    assert [x.text for x in out] == ["said that legal aid"]


def test_a_line_may_span_three_segments() -> None:
    out = stitch([chunk(0, 0, [line(4500, [" a"])]),
                  chunk(1, 5, [line(0, [" b", " c"], step=2400)]),
                  chunk(2, 10, [line(200, [" d"])])],
                 recording_started_at=START, join_gap_ms=1500)
    assert [(x.text, x.seqs) for x in out] == [("a b c d", (0, 1, 2))]


def test_join_text() -> None:
    assert join_text("free of", "charge.") == "free of charge."
    assert join_text("要收", "费吗") == "要收费吗"
    assert join_text("OK。", "好") == "OK。好"
    assert join_text("", "x") == "x"
