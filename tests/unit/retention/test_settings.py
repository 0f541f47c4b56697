"""Retention settings: bounds, unknown keys refused, the TOML file in the home."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from archive.evidence.errors import ConfigurationError
from archive.settings import Settings, load_section
from retention.settings import RetentionSettings

CONFIG_ENV = "AIDREC_RETENTION_CONFIG"


def test_defaults_and_two_person_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    settings = Settings(home=tmp_path)
    assert load_section(RetentionSettings, settings).required_approvals == 2
    (tmp_path / "retention.toml").write_text("two_person_rule = false\n")
    assert load_section(RetentionSettings, settings).required_approvals == 1


@pytest.mark.parametrize("bad", [
    {"certificate_retain_days": 10}, {"maintain_every_minutes": 7}, {"unknown": 1},
    {"capacity_warn_fraction": 0},
])
def test_bad_settings_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match=next(iter(bad))):  # names the field
        RetentionSettings(**bad)  # type: ignore[arg-type]


def test_missing_explicit_file_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_section(RetentionSettings, Settings(home=tmp_path))
