"""Configuration of the web service: section `web` of the archive's settings.

Loaded once by `create_app` with `archive.settings.load_section(WebSettings, settings)` (or
passed in by tests) and kept on the app's state: variables `AIDREC_WEB__*`, table `[web]` of
the config file, `$AIDREC_HOME/web.toml` (or the file `AIDREC_WEB_CONFIG` names), defaults.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from archive.settings import Section


class ChecklistItem(BaseModel):
    """One line of the office's quality checklist; scored 0 (no), 1 (partly) or 2 (yes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern="^[a-z][a-z0-9_]{0,31}$", description="stable key of the item")
    text: str = Field(min_length=1, max_length=200, description="what is checked (English "
                      "msgid; translated through the message catalogs)")


DEFAULT_CHECKLIST = (
    ChecklistItem(id="recording_notice", text="Told the applicant the session is recorded"),
    ChecklistItem(id="courtesy", text="Received the applicant promptly, warmly and politely"),
    ChecklistItem(id="one_time_notice",
                  text="Explained scope, materials and time limits all at once"),
    ChecklistItem(id="no_passing_on",
                  text="Accepted or referred the matter as the rules say, without passing it on"),
    ChecklistItem(id="free_of_charge", text="Asked for and accepted no money, gifts or favours"),
    ChecklistItem(id="records", text="Registered the application completely and correctly"),
)


class WebSettings(Section):
    """Sessions, login limits, deadlines, display zone and the review checklist."""

    SECTION: ClassVar[str] = "web"

    timezone: str = Field("Asia/Shanghai", description="zone of 'today' and displayed times")
    default_locale: str = Field("zh_CN", pattern="^(zh_CN|en)$",
                                description="page language unless ?lang= or the browser asks")
    session_idle_minutes: int = Field(120, ge=5, le=1440,
                                      description="a login session ends after this idle time")
    session_max_hours: int = Field(12, ge=1, le=72, description="and after this long at most")
    cookie_secure: bool | None = Field(
        None, description="mark cookies Secure; default: when public_url is https")
    login_max_failures: int = Field(
        5, ge=1, le=100, description="failed logins per name before each try needs a wait")
    login_max_failures_per_ip: int = Field(
        30, ge=1, le=10000, description="the same per client address")
    login_window_minutes: int = Field(
        15, ge=1, le=1440, description="a burst of failures ends after this long without one")
    login_delay_initial_s: float = Field(
        5.0, ge=0.1, le=3600, description="the first required wait; it doubles per failure")
    login_delay_max_s: float = Field(900.0, ge=1, le=86400,
                                     description="the longest required wait")
    max_json_body_bytes: int = Field(
        64 * 1024, ge=1024, le=16 * 1024 * 1024,
        description="largest request body of every route but segment uploads")
    password_min_length: int = Field(10, ge=8, le=128, description="shortest password")
    account_link_hours: int = Field(
        72, ge=1, le=720, description="a one-time activation or reset link works this long")
    api_token_days: int = Field(90, ge=1, le=3650,
                                description="a person's API token expires after this long")
    playback_grant_minutes: int = Field(
        240, ge=5, le=1440, description="how long one reasoned playback may fetch segments")
    recording_fresh_s: int = Field(
        180, ge=30, le=3600, description="a window with a segment newer than this is recording")
    complaint_accept_working_days: int = Field(5, ge=1, le=60,
                                               description="days to accept a complaint")
    complaint_close_days: int = Field(45, ge=1, le=365,
                                      description="calendar days from receipt to close")
    holidays: list[date] = Field(default_factory=list,
                                 description="public holidays that are not working days")
    workdays: list[date] = Field(
        default_factory=list, description="weekend days that are working days (调休)")
    complaint_prefix: str = Field("投诉", min_length=1, max_length=20,
                                  description="complaint numbers: PREFIX〔YEAR〕NNNN号")
    checklist_id: str = Field("quality-2017/1", min_length=1, max_length=64,
                              description="name and version of the checklist, kept on reviews")
    checklist: tuple[ChecklistItem, ...] = Field(DEFAULT_CHECKLIST, min_length=1, max_length=50,
                                                 description="the quality checklist")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
