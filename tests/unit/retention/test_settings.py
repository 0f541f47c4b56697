"""Retention settings: bounds, unknown keys refused, the TOML file in the home."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from archive.evidence.errors import ConfigurationError
from retention.settings import CONFIG_ENV, RetentionSettings, load_retention_settings


def test_defaults_and_two_person_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert load_retention_settings(tmp_path).required_approvals == 1
    (tmp_path / "retention.toml").write_text("two_person_rule = true\n")
    assert load_retention_settings(tmp_path).required_approvals == 2


@pytest.mark.parametrize("bad", [
    {"certificate_retain_days": 10}, {"maintain_every_minutes": 7}, {"unknown": 1},
    {"capacity_warn_fraction": 0},
])
def test_bad_settings_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RetentionSettings(**bad)  # type: ignore[arg-type]


def test_missing_explicit_file_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_retention_settings(tmp_path)
