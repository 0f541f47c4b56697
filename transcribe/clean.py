"""From raw engine output to the lines of one segment: drop non-speech, cut loops, simplify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from transcribe.engine import EngineResult, Utterance
from transcribe.loops import kept_indices, loop_key
from transcribe.script import CHINESE, simplify_pieces


@dataclass(frozen=True)
class CleanRules:
    no_speech_threshold: float  # with avg_logprob below log_prob_threshold: dropped
    log_prob_threshold: float
    drop_no_speech_prob: float  # at or above: dropped whatever the log-probability
    loop_min_repeats: int


@dataclass(frozen=True)
class ChunkWord:
    """A word, times in ms from the start of its segment; probability in per-mille."""

    start_ms: int
    end_ms: int
    text: str
    p: int

    def as_list(self) -> list[Any]:
        return [self.start_ms, self.end_ms, self.text, self.p]

    @classmethod
    def from_list(cls, item: Sequence[Any]) -> ChunkWord:
        return cls(int(item[0]), int(item[1]), str(item[2]), int(item[3]))


@dataclass(frozen=True)
class ChunkLine:
    """A line of one segment's transcript, times in ms from the start of the segment."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[ChunkWord, ...]
    loop_cut: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start_ms": self.start_ms, "end_ms": self.end_ms,
                               "text": self.text, "words": [w.as_list() for w in self.words]}
        if self.loop_cut:
            out["loop_cut"] = True
        return out

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> ChunkLine:
        return cls(start_ms=int(item["start_ms"]), end_ms=int(item["end_ms"]),
                   text=str(item["text"]),
                   words=tuple(ChunkWord.from_list(w) for w in item.get("words", ())),
                   loop_cut=bool(item.get("loop_cut", False)))


def is_non_speech(utterance: Utterance, rules: CleanRules) -> bool:
    """Whisper's rule (no-speech high and log-probability low) or a very high no-speech."""
    if utterance.no_speech_prob >= rules.drop_no_speech_prob:
        return True
    return (utterance.no_speech_prob > rules.no_speech_threshold
            and utterance.avg_logprob < rules.log_prob_threshold)


def clean_result(result: EngineResult, rules: CleanRules) -> list[ChunkLine]:
    """Lines worth keeping, in time order, Chinese in simplified script."""
    chinese = result.language in CHINESE
    lines: list[ChunkLine] = []
    for utterance in result.utterances:
        if is_non_speech(utterance, rules):
            continue
        line = _line(utterance, chinese=chinese, min_repeats=rules.loop_min_repeats)
        if line is not None:
            lines.append(line)
    return _drop_repeated_lines(lines, rules.loop_min_repeats)


def _line(utterance: Utterance, *, chinese: bool, min_repeats: int) -> ChunkLine | None:
    if utterance.words:
        pieces = [w.text for w in utterance.words]
        if chinese:
            pieces = simplify_pieces(pieces)
        keep = kept_indices(pieces, min_repeats=min_repeats)
        words = tuple(ChunkWord(w.start_ms, w.end_ms, pieces[i], round(w.probability * 1000))
                      for i, w in ((i, utterance.words[i]) for i in keep))
        text = "".join(w.text for w in words).strip()
        loop_cut = len(keep) < len(pieces)
        if not words or not loop_key(text):
            return None
        return ChunkLine(start_ms=words[0].start_ms, end_ms=words[-1].end_ms, text=text,
                         words=words, loop_cut=loop_cut)
    # Without word timestamps the line is one unit; loops are cut on whitespace tokens.
    tokens = utterance.text.split() if not chinese else list(utterance.text.strip())
    if chinese:
        tokens = simplify_pieces(tokens)
    keep = kept_indices(tokens, min_repeats=min_repeats)
    separator = "" if chinese else " "
    text = separator.join(tokens[i] for i in keep).strip()
    if not loop_key(text):
        return None
    return ChunkLine(start_ms=utterance.start_ms, end_ms=utterance.end_ms, text=text, words=(),
                     loop_cut=len(keep) < len(tokens))


def _drop_repeated_lines(lines: list[ChunkLine], min_repeats: int) -> list[ChunkLine]:
    """A whole line repeated `min_repeats` times in a row is a loop too: keep the first."""
    keys = [loop_key(line.text) for line in lines]
    out: list[ChunkLine] = []
    i = 0
    while i < len(lines):
        run = 1
        while i + run < len(lines) and keys[i + run] == keys[i]:
            run += 1
        if run >= min_repeats:
            out.append(lines[i])
        else:
            out.extend(lines[i:i + run])
        i += run
    return out
