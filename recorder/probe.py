"""Probing sources with ffprobe (through ffmpeg-python) before each capture run."""

from __future__ import annotations

import functools
import re
import subprocess

import ffmpeg

from recorder.config import CameraConfig
from recorder.errors import ProbeError
from recorder.ffmpeg_args import SourceKind, SourceProbe, parse_probe, probe_options, source_kind


@functools.cache
def ffmpeg_major_version(ffmpeg_bin: str = "ffmpeg") -> int:
    """Major version of the installed ffmpeg (0 when it prints none we can read).

    Raises:
        ProbeError: ffmpeg cannot be run.
    """
    try:
        out = subprocess.run([ffmpeg_bin, "-hide_banner", "-version"], capture_output=True,
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProbeError(f"cannot run {ffmpeg_bin}: {exc}", reason="no_ffmpeg") from exc
    match = re.search(r"ffmpeg version n?(\d+)\.", out)
    return int(match.group(1)) if match else 0


def timeout_option(ffmpeg_bin: str = "ffmpeg") -> str:
    """The RTSP socket-timeout option: `timeout` on ffmpeg >= 5, `stimeout` before."""
    major = ffmpeg_major_version(ffmpeg_bin)
    return "stimeout" if 0 < major < 5 else "timeout"


def probe_source(camera: CameraConfig, *, ffprobe_bin: str = "ffprobe",
                 rtsp_timeout_option: str = "timeout") -> SourceProbe:
    """Codec names of the source's first video and audio streams.

    Raises:
        ProbeError: the source cannot be opened or has no video.
    """
    kind = source_kind(camera)
    if kind is SourceKind.LAVFI:
        return SourceProbe(video_codec="rawvideo", audio_codec="pcm_s16le")
    options = probe_options(camera, timeout_option=rtsp_timeout_option)
    try:
        data = ffmpeg.probe(camera.source, cmd=ffprobe_bin, **options)
    except ffmpeg.Error as exc:
        lines = exc.stderr.decode(errors="replace").strip().splitlines()
        raise ProbeError(f"cannot probe {redact(camera.source)}: "
                         f"{lines[-1] if lines else 'ffprobe failed'}",
                         reason="unreachable") from exc
    except (OSError, ValueError) as exc:
        raise ProbeError(f"cannot run ffprobe: {exc}", reason="no_ffprobe") from exc
    probe = parse_probe(data)
    if kind is SourceKind.V4L2:
        audio = "pcm_s16le" if camera.audio_device else None
        return SourceProbe(probe.video_codec, audio, probe.width, probe.height)
    return probe


def redact(url: str) -> str:
    """A source URL without its password, for logs and gap details."""
    return re.sub(r"(//[^:/@]+:)[^@]+@", r"\1***@", url)
