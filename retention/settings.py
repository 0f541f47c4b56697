"""Configuration of retention: section `retention` of the archive's settings.

Loaded once at the entry point (worker, CLI, API) with
`archive.settings.load_section(RetentionSettings, settings)` and passed down: variables
`AIDREC_RETENTION__*`, table `[retention]` of the config file, `$AIDREC_HOME/retention.toml`
(or the file `AIDREC_RETENTION_CONFIG` names; flat keys), defaults.
The retention *rules* are not here: they live in the catalog, edited by administrators
through the API or `aidrec retention policy`, with their history.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from archive.settings import Section


class RetentionSettings(Section):
    """How disposal is approved and run, how locks are kept ahead, and store capacity."""

    SECTION: ClassVar[str] = "retention"

    # On by default: one person alone never destroys evidence. A single-admin office turns it
    # off knowingly (nothing is ever deleted without an approved batch either way).
    two_person_rule: bool = Field(
        True, description="a disposal batch needs two independent people's approval"
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
