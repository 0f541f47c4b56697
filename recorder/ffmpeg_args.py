"""ffmpeg and ffprobe command lines built from a camera's settings. Pure: nothing runs here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import ffmpeg

from recorder.config import CameraConfig
from recorder.errors import ProbeError

SEGMENT_PATTERN = "seg-%06d.ts"
SEGMENT_LIST = "segments.csv"
# Video codecs MPEG-TS carries as they come from the camera; anything else is encoded.
COPY_VIDEO = frozenset({"h264", "hevc", "mpeg2video"})
# AAC is copied; G.711, PCM and the rest are encoded to AAC (TS would store G.711 as bin_data).
COPY_AUDIO = frozenset({"aac"})
VIRTUAL_AUDIO = "sine=frequency=440:sample_rate=48000"


class SourceKind(StrEnum):
    RTSP = "rtsp"
    V4L2 = "v4l2"
    FILE = "file"
    LAVFI = "lavfi"


@dataclass(frozen=True)
class SourceProbe:
    """What ffprobe found in a source: codec names (None: no such stream)."""

    video_codec: str | None
    audio_codec: str | None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class CodecPlan:
    """How each stream is written: copied, or encoded (and to what)."""

    video: str  # "copy" or "libx264"
    audio: str | None  # "copy", "aac" or None (no audio)


def source_kind(camera: CameraConfig) -> SourceKind:
    """The configured kind, or a guess from the source text."""
    if camera.kind != "auto":
        return SourceKind(camera.kind)
    source = camera.source
    if source.startswith(("rtsp://", "rtsps://")):
        return SourceKind.RTSP
    if source.startswith("lavfi:") or source == "virtual":
        return SourceKind.LAVFI
    if source.startswith("/dev/video"):
        return SourceKind.V4L2
    return SourceKind.FILE


def lavfi_graph(camera: CameraConfig) -> str:
    """The filtergraph of a virtual camera: `lavfi:<graph>`, or a moving test card."""
    if camera.source.startswith("lavfi:"):
        return camera.source.removeprefix("lavfi:")
    return f"testsrc2=size={camera.video_size}:rate={camera.framerate}"


def parse_probe(data: dict[str, Any]) -> SourceProbe:
    """Pick the first video and audio stream of ffprobe's JSON.

    Raises:
        ProbeError: the source has no video stream.
    """
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None)
    audio = next((s for s in data.get("streams", []) if s.get("codec_type") == "audio"), None)
    if video is None:
        raise ProbeError("got no video stream from the source, expected one", reason="no_video")
    return SourceProbe(video_codec=str(video.get("codec_name") or "unknown"),
                       audio_codec=str(audio.get("codec_name") or "unknown") if audio else None,
                       width=video.get("width") or None, height=video.get("height") or None)


def plan_codecs(kind: SourceKind, probe: SourceProbe) -> CodecPlan:
    """Copy what MPEG-TS carries as is, encode the rest (always encode lavfi/raw capture)."""
    if kind is SourceKind.LAVFI:
        return CodecPlan(video="libx264", audio="aac")
    video = "copy" if probe.video_codec in COPY_VIDEO else "libx264"
    if probe.audio_codec is None:
        audio = None
    else:
        audio = "copy" if probe.audio_codec in COPY_AUDIO else "aac"
    return CodecPlan(video=video, audio=audio)


def probe_options(camera: CameraConfig, *, timeout_option: str = "timeout") -> dict[str, Any]:
    """Input options for ffprobe: RTSP over TCP, bounded, codec names from the SDP only."""
    kind = source_kind(camera)
    if kind is SourceKind.RTSP:
        return {"rtsp_transport": "tcp", timeout_option: _us(camera.socket_timeout_s),
                "analyzeduration": 0, "probesize": 32, "v": "error"}
    if kind is SourceKind.V4L2:
        return {"f": "v4l2", "v": "error"}
    return {"v": "error"}


def build_record_args(
    camera: CameraConfig, plan: CodecPlan, run_dir: Path, *, ffmpeg_bin: str = "ffmpeg",
    timeout_option: str = "timeout",
) -> list[str]:
    """argv of one ffmpeg run writing MPEG-TS segments and their CSV list into run_dir.

    `timeout_option` is "timeout" on ffmpeg >= 5 (the socket timeout in µs) and "stimeout"
    on 4.x, where "timeout" means listen mode.
    """
    kind = source_kind(camera)
    video_in, audio_in = _inputs(camera, kind, timeout_option)
    streams = [video_in["v:0"]]
    if plan.audio is not None and audio_in is not None:
        streams.append(audio_in["a:0"])
    out_opts: dict[str, Any] = {
        "f": "segment", "segment_time": camera.segment_s, "reset_timestamps": 1,
        "segment_format": "mpegts", "segment_format_options": "flush_packets=1",
        "segment_list": str(run_dir / SEGMENT_LIST), "segment_list_type": "csv",
        "vcodec": plan.video,
    }
    if plan.video == "libx264":
        out_opts.update({"preset": "veryfast", "tune": "zerolatency", "pix_fmt": "yuv420p",
                         "g": camera.framerate, "keyint_min": camera.framerate,
                         "sc_threshold": 0})
    if plan.audio is not None and len(streams) == 2:
        out_opts["acodec"] = plan.audio
        if plan.audio == "aac":
            out_opts["b:a"] = "64k"
    node = ffmpeg.output(*streams, str(run_dir / SEGMENT_PATTERN), **out_opts)
    argv: list[str] = node.compile(cmd=ffmpeg_bin)
    # Global options first: ffmpeg may ignore options trailing the last output.
    # No -progress: segment growth is watched on disk, and a pipe to the agent would cut
    # ffmpeg's closing short if the agent died.
    head = ["-nostdin", "-hide_banner", "-loglevel", "info", "-nostats"]
    return [argv[0], *head, *argv[1:]]


def _inputs(camera: CameraConfig, kind: SourceKind,
            timeout_option: str) -> tuple[Any, Any | None]:
    if kind is SourceKind.RTSP:
        stream = ffmpeg.input(camera.source, rtsp_transport="tcp",
                              **{timeout_option: _us(camera.socket_timeout_s)})
        return stream, stream
    if kind is SourceKind.FILE:
        opts: dict[str, Any] = {"re": None}
        if camera.loop_file:
            opts["stream_loop"] = -1
        stream = ffmpeg.input(camera.source, **opts)
        return stream, stream
    if kind is SourceKind.V4L2:
        video = ffmpeg.input(camera.source, f="v4l2", framerate=camera.framerate,
                             s=camera.video_size)
        audio = (ffmpeg.input(camera.audio_device, f="alsa")
                 if camera.audio_device else None)
        return video, audio
    video = ffmpeg.input(lavfi_graph(camera), f="lavfi", re=None)
    return video, ffmpeg.input(VIRTUAL_AUDIO, f="lavfi", re=None)


def build_copy_baseline_args(url: str, out_dir: Path, *, segment_s: int = 60,
                             ffmpeg_bin: str = "ffmpeg", timeout_s: float = 5.0) -> list[str]:
    """The bare `ffmpeg -c copy` recorder the benchmark compares the agent against."""
    stream = ffmpeg.input(url, rtsp_transport="tcp", timeout=_us(timeout_s))
    node = ffmpeg.output(stream, str(out_dir / SEGMENT_PATTERN), c="copy", map=0, f="segment",
                         segment_time=segment_s, reset_timestamps=1, segment_format="mpegts")
    argv: list[str] = node.compile(cmd=ffmpeg_bin)
    return [argv[0], "-nostdin", "-hide_banner", "-loglevel", "error", *argv[1:]]


def _us(seconds: float) -> int:
    return int(seconds * 1_000_000)
