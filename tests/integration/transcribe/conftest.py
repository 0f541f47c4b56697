"""Shared by the transcription tests: the real `base` model loaded once, and test speech."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.settings import Settings
from tests.integration.transcribe import audio
from transcribe.engine import WhisperTranscriber, load_transcriber
from transcribe.settings import TranscribeSettings
from transcribe.whisper_files import ensure_base_model, resolve_model

# Assembled once per machine (145 MB); the test of assembly itself uses a fresh directory.
MODEL_CACHE = Path(os.environ.get("AIDREC_TEST_MODEL_CACHE",
                                  Path.home() / ".cache" / "aidrec" / "models"))


@pytest.fixture(scope="session")
def whisper_model_dir() -> Path:
    return ensure_base_model(MODEL_CACHE / "whisper-base")


@pytest.fixture(scope="session")
def transcribe_config(whisper_model_dir: Path) -> dict[str, Any]:
    """What the tests put in $AIDREC_HOME/transcribe.toml: the cached model, quick retries."""
    return {"model": str(whisper_model_dir), "retries": 2, "retry_delay_s": 0,
            "cpu_threads": 2}


@pytest.fixture(scope="session")
def engine(transcribe_config: dict[str, Any]) -> WhisperTranscriber:
    """Loads the model once; pipelines built with the same settings share it."""
    settings = TranscribeSettings(**transcribe_config)
    return load_transcriber(settings, resolve_model(settings, home=Path("/nonexistent")))


def write_transcribe_config(home: Path, config: dict[str, Any]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    rows = []
    for key, value in config.items():
        rendered = f'"{value}"' if isinstance(value, str) else str(value).lower() \
            if isinstance(value, bool) else str(value)
        rows.append(f"{key} = {rendered}")
    path = home / "transcribe.toml"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def transcribing_settings(settings: Settings, transcribe_config: dict[str, Any],
                          engine: WhisperTranscriber) -> Settings:
    """The archive's settings, with transcription configured in its home."""
    write_transcribe_config(settings.home, transcribe_config)
    return settings


@dataclass(frozen=True)
class Clip:
    """A test segment: its MPEG-TS bytes and duration."""

    path: Path
    seconds: float

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True)
class Mandarin:
    """Three segments: a question, a fee question after a pause, then silence.

    Synthetic Mandarin is recognised poorly by `base`; these phrasings come through (the
    audio is made without dither, so it is the same bytes every run).
    """

    segments: tuple[Clip, Clip, Clip]
    fee_at_s: float  # where 收费 starts, from the start of the recording


@pytest.fixture(scope="session")
def mandarin(tmp_path_factory: pytest.TempPathFactory) -> Mandarin:
    d = tmp_path_factory.mktemp("zh")
    voice = "cmn-latn-pinyin"
    request = audio.speak(d / "request.wav", "wo3 xiang3 zi1 xun2 fa3 lv4 wen4 ti2",
                          voice=voice)  # 我想咨询法律问题
    seg0 = audio.pad_to(d / "seg0.wav", request, 5.0)
    lead = audio.silence(d / "lead.wav", 1.0)
    prefix = audio.speak(d / "prefix.wav", "zhe4 ge4 fu2 wu4 yao4", voice=voice)
    question = audio.speak(d / "fee.wav", "zhe4 ge4 fu2 wu4 yao4 shou1 fei4 ma5",
                           voice=voice)  # 这个服务要收费吗
    seg1 = audio.pad_to(d / "seg1.wav", audio.concat(d / "q.wav", lead, question), 5.0)
    seg2 = audio.silence(d / "seg2.wav", 4.0)
    clips = tuple(Clip(audio.to_ts(w, w.with_suffix(".ts")), audio.duration(w))
                  for w in (seg0, seg1, seg2))
    fee_at = audio.duration(seg0) + 1.0 + audio.duration(prefix)
    return Mandarin(segments=clips, fee_at_s=fee_at)  # type: ignore[arg-type]


ENGLISH_SCRIPT = ("Good morning. This session is recorded. The applicant asked whether legal "
                  "aid is free of charge. The officer said, come back next time.")


@dataclass(frozen=True)
class English:
    """The script spoken once and cut between two words into two segments."""

    segments: tuple[Clip, Clip]
    script: str
    refusal_at_s: float  # where "come back next time" starts


@pytest.fixture(scope="session")
def english(tmp_path_factory: pytest.TempPathFactory) -> English:
    d = tmp_path_factory.mktemp("en")
    speech = audio.speak(d / "script.wav", ENGLISH_SCRIPT)
    before = audio.speak(d / "before.wav", ENGLISH_SCRIPT.rsplit(",", 1)[0] + ",")
    total = audio.duration(speech)
    cut = audio.quietest_cut(speech, lo=total * 0.45, hi=total * 0.6)
    first, second = audio.split(speech, cut)
    clips = (Clip(audio.to_ts(first, d / "a.ts"), audio.duration(first)),
             Clip(audio.to_ts(second, d / "b.ts"), audio.duration(second)))
    return English(segments=clips, script=ENGLISH_SCRIPT, refusal_at_s=audio.duration(before))


@pytest.fixture(scope="session")
def hello(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """A short English line: the cheapest real speech."""
    d = tmp_path_factory.mktemp("hello")
    wav = audio.speak(d / "hello.wav", "Hello, how can I help you today?")
    return Clip(audio.to_ts(wav, d / "hello.ts"), audio.duration(wav))


@pytest.fixture(scope="session")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    d = tmp_path_factory.mktemp("quiet")
    wav = audio.silence(d / "quiet.wav", 3.0)
    return Clip(audio.to_ts(wav, d / "quiet.ts"), 3.0)
