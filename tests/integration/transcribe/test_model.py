"""The real `base` model assembled from its two PyPI packages, checked and loadable."""

from __future__ import annotations

from pathlib import Path

from transcribe.settings import TranscribeSettings
from transcribe.whisper_files import (
    BASE_MODEL_SHA256,
    BASE_MODEL_SIZE,
    ensure_base_model,
    resolve_model,
)


def test_base_is_assembled_from_the_pip_parts_once(tmp_path: Path) -> None:
    target = ensure_base_model(tmp_path / "models" / "whisper-base")
    model_bin = target / "model.bin"
    assert model_bin.stat().st_size == BASE_MODEL_SIZE
    mtime = model_bin.stat().st_mtime_ns
    settings = TranscribeSettings()  # model = "base", under $AIDREC_HOME/models
    model = resolve_model(settings, home=tmp_path)
    assert (model.name, model.sha256, model.path) == ("base", BASE_MODEL_SHA256, target)
    assert model_bin.stat().st_mtime_ns == mtime  # found, not assembled again
    assert sorted(p.name for p in target.iterdir()) == [
        "config.json", "model.bin", "model.bin.sha256.json", "tokenizer.json",
        "vocabulary.txt"]
