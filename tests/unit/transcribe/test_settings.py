"""Transcription settings: unknown keys and bad values are refused, files and env are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from archive.settings import Settings, load_section
from transcribe.engine import EngineParams
from transcribe.settings import TranscribeSettings


def test_defaults_are_the_local_stack_ones(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.delenv("AIDREC_TRANSCRIBE_CONFIG", raising=False)
    settings = load_section(TranscribeSettings, Settings(home=tmp_path))
    assert (settings.model, settings.device, settings.compute_type, settings.vad) == (
        "base", "cpu", "int8", True)
    assert settings.resolved_models_dir(tmp_path) == tmp_path / "models"


def test_file_then_env_then_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AIDREC_TRANSCRIBE_CONFIG", raising=False)
    (tmp_path / "transcribe.toml").write_text('model = "/models/large-v3"\nbeam_size = 2\n'
                                              'language = "zh"\n')
    monkeypatch.setenv("AIDREC_TRANSCRIBE__BEAM_SIZE", "3")
    settings = load_section(TranscribeSettings, Settings(home=tmp_path), cpu_threads=4)
    assert (settings.model, settings.beam_size, settings.language, settings.cpu_threads) == (
        "/models/large-v3", 3, "zh", 4)


@pytest.mark.parametrize("bad", [{"beam_size": 0}, {"device": "tpu"}, {"colour": "red"},
                                 {"compute_type": "float16"}, {"language": "Chinese"},
                                 {"seal_retain_days": 30}, {"model_sha256": "abc"}])
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match=next(iter(bad))):  # names the field
        TranscribeSettings(**bad)  # type: ignore[arg-type]


def test_cuda_with_float16_is_accepted() -> None:
    settings = TranscribeSettings(device="cuda", compute_type="float16")
    assert settings.device == "cuda"


def test_engine_parameters_are_canonical_json_friendly() -> None:
    params = EngineParams.from_settings(TranscribeSettings())
    manifest = params.as_manifest()
    assert manifest["temperature"] == "0.0" and manifest["condition_on_previous_text"] is False
    assert manifest["beam_size"] == 5 and manifest["vad"] is True
    kwargs = params.transcribe_kwargs()
    assert kwargs["vad_filter"] is True and kwargs["word_timestamps"] is True
