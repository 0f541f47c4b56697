"""Model assembly: concatenated parts, checked, renamed into place only when whole."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from transcribe.errors import ModelError
from transcribe.settings import TranscribeSettings
from transcribe.whisper_files import assemble_model, model_digest, resolve_model


def parts(tmp_path: Path) -> tuple[list[Path], Path, str, int]:
    support = tmp_path / "support"
    support.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (support / name).write_text("{}")
    one, two = tmp_path / "p1", tmp_path / "p2"
    one.write_bytes(b"a" * 1000)
    two.write_bytes(b"b" * 500)
    return [one, two], support, hashlib.sha256(b"a" * 1000 + b"b" * 500).hexdigest(), 1500


def test_assembled_once_and_checked(tmp_path: Path) -> None:
    files, support, sha, size = parts(tmp_path)
    target = tmp_path / "models" / "whisper-x"
    assemble_model(target, parts=files, support_dir=support,
                   support_files=("config.json", "tokenizer.json"), expected_size=size,
                   expected_sha256=sha)
    assert (target / "model.bin").read_bytes() == b"a" * 1000 + b"b" * 500
    assert model_digest(target / "model.bin") == (sha, size)
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["whisper-x"]  # no leftovers
    model = resolve_model(TranscribeSettings(model=str(target)), home=tmp_path)
    assert (model.name, model.sha256, model.size) == ("whisper-x", sha, size)


def test_a_wrong_part_leaves_nothing_behind(tmp_path: Path) -> None:
    files, support, sha, size = parts(tmp_path)
    files[1].write_bytes(b"b" * 499)  # a truncated download
    target = tmp_path / "models" / "whisper-x"
    with pytest.raises(ModelError, match="expected 1500 bytes"):
        assemble_model(target, parts=files, support_dir=support,
                       support_files=("config.json",), expected_size=size,
                       expected_sha256=sha)
    assert not target.exists() and list((tmp_path / "models").iterdir()) == []


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    files, support, sha, size = parts(tmp_path)
    target = tmp_path / "whisper-x"
    assemble_model(target, parts=files, support_dir=support,
                   support_files=("config.json", "tokenizer.json"), expected_size=size,
                   expected_sha256=sha)
    (target / "model.bin").write_bytes(b"c" * 1500)  # new mtime: the cached hash is stale
    with pytest.raises(ModelError, match="expected"):
        resolve_model(TranscribeSettings(model=str(target), model_sha256=sha), home=tmp_path)


def test_missing_named_model_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="whisper-large-v3"):
        resolve_model(TranscribeSettings(model="large-v3"), home=tmp_path)


def test_two_processes_assembling_at_once_both_get_a_whole_model(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    files, support, sha, size = parts(tmp_path)
    target = tmp_path / "models" / "whisper-x"

    def assemble(_: int) -> Path:
        return assemble_model(target, parts=files, support_dir=support,
                              support_files=("config.json", "tokenizer.json"),
                              expected_size=size, expected_sha256=sha)

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(assemble, range(8))) == {target}
    assert model_digest(target / "model.bin") == (sha, size)
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["whisper-x"]
