"""Configuration of retention: env vars over a TOML file over defaults.

Loaded once at the entry point (worker, CLI, API) and passed down. Sources, highest first:
keyword arguments, `AIDREC_RETENTION__*` environment variables, then the TOML file named by
`AIDREC_RETENTION_CONFIG` or else `$AIDREC_HOME/retention.toml` (flat keys, no table).
The retention *rules* are not here: they live in the catalog, edited by administrators through
the API or `aidrec retention policy`, with their history.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from archive.evidence.errors import ConfigurationError

CONFIG_NAME = "retention.toml"
CONFIG_ENV = "AIDREC_RETENTION_CONFIG"

_config_file: ContextVar[Path | None] = ContextVar("retention_config", default=None)


class RetentionSettings(BaseSettings):
    """How disposal is approved and run, how locks are kept ahead, and store capacity."""

    model_config = SettingsConfigDict(
        env_prefix="AIDREC_RETENTION__", extra="forbid", frozen=True
    )

    two_person_rule: bool = Field(
        False, description="a disposal batch needs two different administrators' approval"
    )
    certificate_retain_days: int = Field(
        36500, ge=36500, le=73000, description="lock on disposal certificates (forever: 100 y+)"
    )
    open_ended_ahead_days: int = Field(
        30, ge=1, le=3650, description="while a rule's end is unknown (open case), locks are "
        "kept at least this far beyond the rule's lower bound, and re-extended when reached"
    )
    recheck_days: int = Field(
        3, ge=0, le=90, description="recordings that ended this recently have new objects "
        "(seals, transcripts) checked against their lock on each maintenance run"
    )
    maintain_every_minutes: int = Field(
        60, ge=5, le=60, description="how often the worker applies policies, syncs holds and "
        "executes approved disposals (a divisor of 60)"
    )
    auto_propose: bool = Field(
        True, description="the maintenance job proposes a disposal batch of what is due "
        "(executed only once approved)"
    )
    lease_s: int = Field(
        600, ge=30, le=86400, description="a sweep's lease; a crashed sweep's work is taken "
        "over after it expires"
    )
    store_capacity_bytes: int | None = Field(
        None, ge=1, description="usable size of the evidence store; forecasts warn before it "
        "fills (None: no capacity warnings)"
    )
    capacity_warn_fraction: float = Field(
        0.85, gt=0, le=1, description="forecast warns when the store would pass this fraction"
    )
    forecast_window_days: int = Field(
        30, ge=1, le=365, description="recent days whose recordings give the recording rate"
    )

    @field_validator("maintain_every_minutes")
    @classmethod
    def _divides_hour(cls, value: int) -> int:
        if 60 % value:
            raise ValueError(f"got {value}, expected a divisor of 60")
        return value

    @property
    def required_approvals(self) -> int:
        return 2 if self.two_person_rule else 1

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
        config = _config_file.get()
        if config is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)


def load_retention_settings(home: Path, **overrides: Any) -> RetentionSettings:
    """Load once at an entry point; `home` is the archive's home ($AIDREC_HOME).

    Raises:
        ConfigurationError: "no_config" when AIDREC_RETENTION_CONFIG names a missing file.
    """
    explicit = os.environ.get(CONFIG_ENV)
    config = Path(explicit) if explicit else home / CONFIG_NAME
    if explicit and not config.exists():
        raise ConfigurationError(f"{CONFIG_ENV} names {config}, which does not exist",
                                 reason="no_config")
    token = _config_file.set(config if config.exists() else None)
    try:
        return RetentionSettings(**overrides)
    finally:
        _config_file.reset(token)
