"""Stitching: segment transcripts become one recording transcript in absolute time.

Speech cut by a segment boundary comes back as the tail of one segment's last line and the
head of the next one's first line; they are joined into one line when both touch the
boundary and the pause between them is short. Where segments overlap in time, words the
second segment repeats are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from transcribe.clean import ChunkLine
from transcribe.loops import loop_key

OVERLAP_TOLERANCE_MS = 100


@dataclass(frozen=True)
class Chunk:
    """The cleaned transcript of one segment, placed in time."""

    seq: int
    started_at: datetime  # wall-clock start of the segment
    duration_ms: int
    lines: tuple[ChunkLine, ...]


@dataclass(frozen=True)
class LineWord:
    """A word in absolute time: offset in the recording and (via Line) wall clock."""

    offset_ms: int
    end_offset_ms: int
    text: str
    p: int  # per-mille; -1 where no engine probability exists (human correction)


@dataclass(frozen=True)
class Line:
    offset_ms: int  # from the start of the recording
    end_offset_ms: int
    text: str
    words: tuple[LineWord, ...]
    seqs: tuple[int, ...]  # segments the line's words come from, first one owns it
    loop_cut: bool = False

    def started_at(self, recording_started_at: datetime) -> datetime:
        return recording_started_at + timedelta(milliseconds=self.offset_ms)

    def ended_at(self, recording_started_at: datetime) -> datetime:
        return recording_started_at + timedelta(milliseconds=self.end_offset_ms)

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.offset_ms, self.end_offset_ms, self.text)


@dataclass
class _Open:
    line: Line
    touches_end: bool
    seq: int
    words: list[LineWord] = field(default_factory=list)


def stitch(chunks: Sequence[Chunk], *, recording_started_at: datetime,
           join_gap_ms: int) -> list[Line]:
    """Lines of the whole recording, in time order."""
    out: list[Line] = []
    current: _Open | None = None
    for chunk in sorted(chunks, key=lambda c: c.seq):
        base = _ms_between(recording_started_at, chunk.started_at)
        for number, line in enumerate(chunk.lines):
            placed = _place(line, base, chunk.seq)
            touches_start = number == 0 and line.start_ms <= join_gap_ms
            touches_end = (number == len(chunk.lines) - 1
                           and chunk.duration_ms - line.end_ms <= join_gap_ms)
            if (current is not None and touches_start and current.touches_end
                    and chunk.seq == current.seq + 1
                    and placed.offset_ms - current.line.end_offset_ms <= join_gap_ms):
                current = _Open(_join(current.line, placed), touches_end, chunk.seq)
                continue
            if current is not None:
                out.append(current.line)
            if out and placed.offset_ms < out[-1].end_offset_ms:
                placed = _drop_repeats(out[-1], placed)
            current = _Open(placed, touches_end, chunk.seq)
    if current is not None:
        out.append(current.line)
    return [line for line in out if loop_key(line.text)]


def _ms_between(start: datetime, moment: datetime) -> int:
    return round((moment - start).total_seconds() * 1000)


def _place(line: ChunkLine, base_ms: int, seq: int) -> Line:
    words = tuple(LineWord(base_ms + w.start_ms, base_ms + w.end_ms, w.text, w.p)
                  for w in line.words)
    return Line(offset_ms=base_ms + line.start_ms, end_offset_ms=base_ms + line.end_ms,
                text=line.text, words=words, seqs=(seq,), loop_cut=line.loop_cut)


def _join(head: Line, tail: Line) -> Line:
    tail = _drop_repeats(head, tail) if tail.offset_ms < head.end_offset_ms else tail
    if not tail.words and not tail.text:
        return head
    return Line(offset_ms=head.offset_ms, end_offset_ms=max(head.end_offset_ms,
                                                             tail.end_offset_ms),
                text=join_text(head.text, tail.text), words=head.words + tail.words,
                seqs=head.seqs + tuple(s for s in tail.seqs if s not in head.seqs),
                loop_cut=head.loop_cut or tail.loop_cut)


def join_text(left: str, right: str) -> str:
    """Latin words get a space between them; Chinese characters and punctuation do not."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    if _is_cjk(left[-1]) or _is_cjk(right[0]):
        return left + right
    return f"{left} {right}"


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x3000 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF
            or 0x20000 <= code <= 0x2FA1F)


def _drop_repeats(previous: Line, line: Line) -> Line:
    """Words of `line` that start inside `previous` and repeat its words are dropped."""
    if not line.words:
        return line
    seen = {loop_key(w.text) for w in previous.words
            if w.end_offset_ms >= line.offset_ms - OVERLAP_TOLERANCE_MS}
    limit = previous.end_offset_ms - OVERLAP_TOLERANCE_MS
    kept = tuple(w for w in line.words
                 if not (w.offset_ms < limit and loop_key(w.text) in seen))
    if kept == line.words:
        return line
    if not kept:
        return replace(line, words=(), text="")
    return replace(line, offset_ms=kept[0].offset_ms, words=kept,
                   text="".join(w.text for w in kept).strip())
