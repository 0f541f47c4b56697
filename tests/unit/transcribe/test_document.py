"""Transcript documents: canonical JSON, WebVTT, corrections and their diffs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.evidence.canonical import canonical_json
from transcribe.document import (
    SourceSegment,
    VersionInfo,
    apply_edits,
    build_document,
    edits_from_vtt,
    lines_from_document,
    parse_vtt_texts,
    render_vtt,
    text_diff,
)
from transcribe.errors import CorrectionError
from transcribe.stitch import Line, LineWord

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def line(offset_ms: int, text: str, words: list[str]) -> Line:
    step = 400
    items = tuple(LineWord(offset_ms + i * step, offset_ms + (i + 1) * step, w, 910)
                  for i, w in enumerate(words))
    return Line(offset_ms=offset_ms, end_offset_ms=items[-1].end_offset_ms, text=text,
                words=items, seqs=(0,))


LINES = [line(1_500, "Hello, how can I help you?", [" Hello,", " how", " can", " I", " help",
                                                     " you?"]),
         line(3_723_004, "这个要收费吗", ["这个", "要", "收费", "吗"])]


def test_vtt_cues_on_the_recording_timeline() -> None:
    vtt = render_vtt(LINES, recording_id="r1", recording_started_at=START)
    assert vtt.startswith("WEBVTT\n\nNOTE recording r1 started 2026-11-02T01:00:00.000000Z\n")
    assert "1 2026-11-02T01:00:01.500000Z\n00:00:01.500 --> 00:00:03.900\nHello" in vtt
    assert "01:02:03.004 --> 01:02:04.604\n这个要收费吗" in vtt
    assert parse_vtt_texts(vtt) == [(1_500, "Hello, how can I help you?"),
                                    (3_723_004, "这个要收费吗")]


def test_document_is_canonical_and_round_trips() -> None:
    doc = build_document(
        recording_id="r1", window_id="w1", recording_started_at=START, language="zh",
        language_source="detected",
        version=VersionInfo(1, "machine", START, "aidrec", "machine transcript", None),
        sources=[SourceSegment(0, "a" * 64, START, START, "zh")],
        producer={"producers": {"d" * 64: {"model": {"name": "base"}}}}, lines=LINES,
        vtt_sha256="b" * 64, vtt_size=10)
    data = canonical_json(doc)  # no floats anywhere
    assert lines_from_document(doc) == LINES
    assert doc["lines"][1]["started_at"] == "2026-11-02T02:02:03.004000Z"
    assert data == canonical_json(doc)


def test_edits_keep_times_and_mark_words_as_human() -> None:
    new = apply_edits(LINES, {2: "这个要收好处费吗"})
    assert new[0] == LINES[0]
    assert (new[1].offset_ms, new[1].end_offset_ms) == (LINES[1].offset_ms,
                                                         LINES[1].end_offset_ms)
    assert "".join(w.text for w in new[1].words) == "这个要收好处费吗"
    assert {w.p for w in new[1].words} == {-1}
    assert new[1].words[0].offset_ms == LINES[1].offset_ms
    assert new[1].words[-1].end_offset_ms == LINES[1].end_offset_ms
    diff = text_diff(LINES, new, old_label="version 1", new_label="version 2")
    assert "-[01:02:03.004] 这个要收费吗" in diff and "+[01:02:03.004] 这个要收好处费吗" in diff


def test_bad_edits_are_refused() -> None:
    with pytest.raises(CorrectionError, match="expected 1-2"):
        apply_edits(LINES, {3: "x"})
    with pytest.raises(CorrectionError, match="changes no line"):
        apply_edits(LINES, {1: LINES[0].text})


def test_edits_from_an_edited_vtt() -> None:
    vtt = render_vtt(LINES, recording_id="r1", recording_started_at=START)
    edited = vtt.replace("这个要收费吗", "这个要收费吗？不要。")
    assert edits_from_vtt(LINES, edited) == {2: "这个要收费吗？不要。"}
    with pytest.raises(CorrectionError, match="cue times may not change"):
        edits_from_vtt(LINES, vtt.replace("00:00:01.500 -->", "00:00:01.600 -->"))
    with pytest.raises(CorrectionError, match="got 1 cues"):
        edits_from_vtt(LINES, vtt.split("\n\n2 ")[0])
