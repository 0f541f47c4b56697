"""Facts about media files the archive needs on import: type and duration (ffprobe)."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from archive.evidence.errors import InvalidInputError

_BY_SUFFIX = {
    ".ts": "video/mp2t", ".mts": "video/mp2t", ".m2ts": "video/mp2t", ".mp4": "video/mp4",
    ".mov": "video/quicktime", ".mkv": "video/x-matroska", ".webm": "video/webm",
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac",
    ".ogg": "audio/ogg", ".flac": "audio/flac",
}


def content_type_of(path: Path) -> str:
    try:
        return _BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise InvalidInputError(f"{path.name}: unsupported media type {path.suffix!r}",
                                reason="bad_media_type") from None


def probe_duration_s(path: Path) -> float:
    """Duration of a media file; refuses files ffprobe cannot read as media."""
    try:
        info = ffmpeg.probe(str(path))
    except ffmpeg.Error as exc:
        tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        raise InvalidInputError(f"{path.name} is not readable media: {' '.join(tail)}",
                                reason="bad_media") from exc
    duration = info.get("format", {}).get("duration")
    if duration is None:
        durations = [float(s["duration"]) for s in info.get("streams", []) if "duration" in s]
        duration = max(durations, default=None)
    if duration is None or float(duration) <= 0:
        raise InvalidInputError(f"{path.name} has no duration", reason="bad_media")
    return float(duration)
