"""From engine output to segment lines: non-speech dropped, loops cut, simplified script."""

from __future__ import annotations

from transcribe.clean import ChunkLine, CleanRules, clean_result, is_non_speech
from transcribe.engine import EngineResult, Utterance, Word

RULES = CleanRules(no_speech_threshold=0.6, log_prob_threshold=-1.0, drop_no_speech_prob=0.8,
                   loop_min_repeats=3)


def utterance(words: list[str], *, start: int = 0, no_speech: float = 0.1,
              logprob: float = -0.3) -> Utterance:
    items = tuple(Word(start + i * 200, start + (i + 1) * 200, w, 0.9)
                  for i, w in enumerate(words))
    return Utterance(start_ms=start, end_ms=start + 200 * len(words), text="".join(words),
                     words=items, no_speech_prob=no_speech, avg_logprob=logprob,
                     compression_ratio=1.2)


def result(*utterances: Utterance, language: str = "zh") -> EngineResult:
    return EngineResult(language=language, language_probability=0.9, detected=True,
                        duration_ms=10_000, speech_ms=5_000, utterances=utterances)


def test_traditional_becomes_simplified_word_by_word() -> None:
    (line,) = clean_result(result(utterance(["這個", "要", "收", "費", "嗎?"])), RULES)
    assert line.text == "这个要收费吗?"
    assert [w.text for w in line.words] == ["这个", "要", "收", "费", "吗?"]
    assert (line.start_ms, line.end_ms) == (0, 1000)
    assert [w.p for w in line.words] == [900] * 5


def test_english_is_left_alone() -> None:
    (line,) = clean_result(result(utterance([" Hello", " there."]), language="en"), RULES)
    assert line.text == "Hello there."


def test_non_speech_rules() -> None:
    assert is_non_speech(utterance(["You"], no_speech=0.85, logprob=-0.2), RULES)
    assert is_non_speech(utterance(["You"], no_speech=0.7, logprob=-1.5), RULES)
    assert not is_non_speech(utterance(["You"], no_speech=0.7, logprob=-0.5), RULES)
    assert not is_non_speech(utterance(["你好"], no_speech=0.5, logprob=-0.6), RULES)
    kept = clean_result(result(utterance(["谢谢"], no_speech=0.9),
                               utterance(["你好"], start=3000)), RULES)
    assert [line.text for line in kept] == ["你好"]


def test_loops_are_cut_and_marked() -> None:
    (line,) = clean_result(result(utterance(["不", "给", "钱"] + ["额"] * 12)), RULES)
    assert line.text == "不给钱额" and line.loop_cut
    assert line.end_ms == line.words[-1].end_ms


def test_a_line_repeated_is_kept_once() -> None:
    lines = clean_result(result(*(utterance(["字幕", "由"], start=i * 1000) for i in range(4)),
                                utterance(["好"], start=9000)), RULES)
    assert [line.text for line in lines] == ["字幕由", "好"]


def test_punctuation_only_lines_are_dropped() -> None:
    assert clean_result(result(utterance(["。", "…"])), RULES) == []


def test_chunk_line_round_trip() -> None:
    (line,) = clean_result(result(utterance(["你好"])), RULES)
    assert ChunkLine.from_dict(line.as_dict()) == line
