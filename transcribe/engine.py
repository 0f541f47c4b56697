"""The speech engine behind a `Transcriber` port: faster-whisper (CTranslate2) on CPU or CUDA."""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from transcribe.errors import EngineError, MediaDecodeError
from transcribe.settings import TranscribeSettings
from transcribe.whisper_files import ModelRef

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Word:
    """One recognised word, times in ms from the start of the engine's input."""

    start_ms: int
    end_ms: int
    text: str  # as the engine gives it, with its leading space for Latin scripts
    probability: float


@dataclass(frozen=True)
class Utterance:
    """One engine segment (a line of text)."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]
    no_speech_prob: float
    avg_logprob: float
    compression_ratio: float


@dataclass(frozen=True)
class EngineResult:
    language: str | None  # what decoding used: given, or detected (None: no speech to detect)
    language_probability: float
    detected: bool  # True when the engine chose the language
    duration_ms: int
    speech_ms: int  # audio the VAD kept
    utterances: tuple[Utterance, ...]


@dataclass(frozen=True)
class EngineParams:
    """Decoding parameters; recorded in every transcript manifest."""

    beam_size: int
    vad: bool
    vad_min_silence_ms: int
    word_timestamps: bool
    no_speech_threshold: float
    log_prob_threshold: float
    temperature: float = 0.0  # deterministic: the same audio gives the same text
    condition_on_previous_text: bool = False  # conditioning caused repetition loops
    compression_ratio_threshold: float = 2.4

    @classmethod
    def from_settings(cls, settings: TranscribeSettings) -> EngineParams:
        return cls(beam_size=settings.beam_size, vad=settings.vad,
                   vad_min_silence_ms=settings.vad_min_silence_ms,
                   word_timestamps=settings.word_timestamps,
                   no_speech_threshold=settings.no_speech_threshold,
                   log_prob_threshold=settings.log_prob_threshold)

    def as_manifest(self) -> dict[str, str | int | bool]:
        """Canonical-JSON friendly (floats as decimal strings)."""
        out: dict[str, str | int | bool] = {}
        for key, value in vars(self).items():
            out[key] = repr(value) if isinstance(value, float) else value
        return out

    def transcribe_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "beam_size": self.beam_size, "temperature": self.temperature,
            "condition_on_previous_text": self.condition_on_previous_text,
            "word_timestamps": self.word_timestamps, "vad_filter": self.vad,
            "no_speech_threshold": self.no_speech_threshold,
            "log_prob_threshold": self.log_prob_threshold,
            "compression_ratio_threshold": self.compression_ratio_threshold,
        }
        if self.vad:
            kwargs["vad_parameters"] = {"min_silence_duration_ms": self.vad_min_silence_ms}
        return kwargs


@dataclass(frozen=True)
class EngineIdentity:
    """What produced a transcript: model, engine versions, device and parameters."""

    model_name: str
    model_sha256: str
    model_size: int
    engine: str
    engine_version: str
    runtime_version: str
    device: str
    compute_type: str
    params: EngineParams

    def as_manifest(self) -> dict[str, Any]:
        return {
            "model": {"name": self.model_name, "sha256": self.model_sha256,
                      "size": self.model_size, "file": "model.bin"},
            "engine": {"name": self.engine, "version": self.engine_version,
                       "ctranslate2": self.runtime_version, "device": self.device,
                       "compute_type": self.compute_type},
            "parameters": self.params.as_manifest(),
        }


class Transcriber(Protocol):
    """Turns audio (a media file's bytes or 16 kHz mono samples) into utterances."""

    @property
    def identity(self) -> EngineIdentity: ...

    def transcribe(self, audio: bytes | Path | npt.NDArray[np.float32], *,
                   language: str | None) -> EngineResult: ...


def decode_audio(audio: bytes | Path) -> npt.NDArray[np.float32]:
    """16 kHz mono float samples of any media PyAV reads (MPEG-TS, MP4, WAV…).

    Raises:
        MediaDecodeError: the bytes hold no decodable audio.
    """
    from faster_whisper import decode_audio as fw_decode

    source: Any = io.BytesIO(audio) if isinstance(audio, bytes) else str(audio)
    try:
        samples = fw_decode(source, sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many types; all mean "not decodable"
        raise MediaDecodeError(f"no decodable audio: {exc}") from exc
    return samples  # type: ignore[no-any-return]


class WhisperTranscriber:
    """faster-whisper with a loaded model; thread-safe (calls on one model are serialised)."""

    def __init__(self, model: ModelRef, *, device: str, device_index: int, compute_type: str,
                 cpu_threads: int, params: EngineParams) -> None:
        from faster_whisper import WhisperModel

        self._params = params
        try:
            self._model = WhisperModel(str(model.path), device=device, device_index=device_index,
                                       compute_type=compute_type, cpu_threads=cpu_threads,
                                       local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise EngineError(f"cannot load model {model.name} on {device}/{compute_type}: "
                              f"{exc}", reason="model_load") from exc
        self._identity = EngineIdentity(
            model_name=model.name, model_sha256=model.sha256, model_size=model.size,
            engine="faster-whisper", engine_version=metadata.version("faster-whisper"),
            runtime_version=metadata.version("ctranslate2"), device=device,
            compute_type=compute_type, params=params)

    @property
    def identity(self) -> EngineIdentity:
        return self._identity

    @property
    def whisper_model(self) -> Any:
        """The underlying faster_whisper.WhisperModel (benchmarks compare against it)."""
        return self._model

    def transcribe(self, audio: bytes | Path | npt.NDArray[np.float32], *,
                   language: str | None) -> EngineResult:
        samples = audio if not isinstance(audio, bytes | Path) else decode_audio(audio)
        duration_ms = round(len(samples) * 1000 / SAMPLE_RATE)
        if len(samples) == 0:
            return EngineResult(language=language, language_probability=0.0,
                                detected=False, duration_ms=0, speech_ms=0, utterances=())
        try:
            segments, info = self._model.transcribe(samples, language=language,
                                                    **self._params.transcribe_kwargs())
            utterances = tuple(_utterance(s) for s in segments)  # decoding happens here
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"transcription failed: {exc}") from exc
        speech_ms = round(info.duration_after_vad * 1000)
        has_speech = speech_ms > 0 and bool(utterances)
        return EngineResult(
            language=info.language if (language or has_speech) else None,
            language_probability=float(info.language_probability),
            detected=language is None and has_speech, duration_ms=duration_ms,
            speech_ms=speech_ms, utterances=utterances)


def _ms(seconds: float) -> int:
    return max(0, round(float(seconds) * 1000))


def _utterance(segment: Any) -> Utterance:
    words = tuple(Word(start_ms=_ms(w.start), end_ms=_ms(w.end), text=str(w.word),
                       probability=float(w.probability)) for w in (segment.words or ()))
    return Utterance(start_ms=_ms(segment.start), end_ms=_ms(segment.end), text=str(segment.text),
                     words=words, no_speech_prob=float(segment.no_speech_prob),
                     avg_logprob=float(segment.avg_logprob),
                     compression_ratio=float(segment.compression_ratio))


_engines: dict[tuple[str, str, str, int, int, EngineParams], WhisperTranscriber] = {}
_engines_lock = threading.Lock()


def load_transcriber(settings: TranscribeSettings, model: ModelRef) -> WhisperTranscriber:
    """One loaded model per process and configuration, shared by all worker threads."""
    params = EngineParams.from_settings(settings)
    key = (str(model.path) + ":" + model.sha256, settings.device, settings.compute_type,
           settings.cpu_threads, settings.device_index, params)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = WhisperTranscriber(model, device=settings.device,
                                        device_index=settings.device_index,
                                        compute_type=settings.compute_type,
                                        cpu_threads=settings.cpu_threads, params=params)
            _engines[key] = engine
            logger.info("model loaded", extra={"model": model.name, "device": settings.device})
        return engine
