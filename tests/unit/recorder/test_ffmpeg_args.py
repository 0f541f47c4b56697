"""argv building: RTSP flags, copy vs encode, segment options, source kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder.config import CameraConfig
from recorder.errors import ProbeError
from recorder.ffmpeg_args import (
    CodecPlan,
    SourceKind,
    SourceProbe,
    build_copy_baseline_args,
    build_record_args,
    parse_probe,
    plan_codecs,
    probe_options,
    source_kind,
)

RUN = Path("/spool/media/cam1/run-000001")


def _camera(source: str = "rtsp://u:p@10.0.0.5/stream1", **kw: object) -> CameraConfig:
    return CameraConfig.model_validate({"id": "cam1", "window_id": "w1", "source": source,
                                        **kw})


def _after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_rtsp_argv_copies_and_segments_with_flushing() -> None:
    argv = build_record_args(_camera(segment_s=60, socket_timeout_s=5),
                             CodecPlan(video="copy", audio="copy"), RUN)
    assert argv[0] == "ffmpeg"
    assert argv[1:3] == ["-nostdin", "-hide_banner"]
    assert _after(argv, "-rtsp_transport") == "tcp"
    assert _after(argv, "-timeout") == "5000000"
    assert argv.index("-timeout") < argv.index("-i")
    assert _after(argv, "-f") == "segment"
    assert _after(argv, "-segment_time") == "60"
    assert _after(argv, "-segment_format") == "mpegts"
    assert _after(argv, "-segment_format_options") == "flush_packets=1"
    assert _after(argv, "-segment_list") == str(RUN / "segments.csv")
    assert _after(argv, "-segment_list_type") == "csv"
    assert _after(argv, "-reset_timestamps") == "1"
    assert _after(argv, "-vcodec") == "copy"
    assert _after(argv, "-acodec") == "copy"
    assert "-progress" not in argv  # growth is watched on disk
    assert argv[-1] == str(RUN / "seg-%06d.ts")
    assert "-rw_timeout" not in argv and "-xerror" not in argv


def test_stimeout_on_old_ffmpeg() -> None:
    argv = build_record_args(_camera(), CodecPlan("copy", None), RUN, timeout_option="stimeout")
    assert "-stimeout" in argv and "-timeout" not in argv
    assert "-map" in argv and "0:a:0" not in argv


@pytest.mark.parametrize(("audio", "expected"), [
    ("aac", "copy"), ("pcm_alaw", "aac"), ("pcm_mulaw", "aac"), ("pcm_s16le", "aac"),
    ("adpcm_g726", "aac"), (None, None)])
def test_audio_plan_copies_only_aac(audio: str | None, expected: str | None) -> None:
    assert plan_codecs(SourceKind.RTSP, SourceProbe("h264", audio)).audio == expected


def test_video_plan_copies_h264_and_hevc_encodes_mjpeg() -> None:
    assert plan_codecs(SourceKind.RTSP, SourceProbe("hevc", None)).video == "copy"
    assert plan_codecs(SourceKind.V4L2, SourceProbe("mjpeg", None)).video == "libx264"
    assert plan_codecs(SourceKind.LAVFI, SourceProbe("rawvideo", "pcm_s16le")) == \
        CodecPlan("libx264", "aac")


def test_g711_is_encoded_to_aac_at_64k() -> None:
    argv = build_record_args(_camera(), plan_codecs(SourceKind.RTSP,
                                                    SourceProbe("h264", "pcm_alaw")), RUN)
    assert _after(argv, "-acodec") == "aac"
    assert _after(argv, "-b:a") == "64k"


@pytest.mark.parametrize(("source", "kind"), [
    ("rtsp://cam/1", SourceKind.RTSP), ("/dev/video0", SourceKind.V4L2),
    ("lavfi:testsrc2", SourceKind.LAVFI), ("virtual", SourceKind.LAVFI),
    ("/srv/clip.mp4", SourceKind.FILE)])
def test_source_kind_guess(source: str, kind: SourceKind) -> None:
    assert source_kind(_camera(source)) is kind


def test_file_played_live_and_looped() -> None:
    argv = build_record_args(_camera("/srv/clip.mp4"), CodecPlan("copy", "copy"), RUN)
    assert argv.index("-re") < argv.index("-i")
    assert _after(argv, "-stream_loop") == "-1"


def test_v4l2_with_alsa_microphone() -> None:
    camera = _camera("/dev/video0", audio_device="hw:1,0", video_size="1280x720")
    argv = build_record_args(camera, CodecPlan("libx264", "aac"), RUN)
    assert argv.count("-i") == 2
    assert _after(argv, "-i") == "/dev/video0"
    assert "alsa" in argv and "hw:1,0" in argv
    assert _after(argv, "-s") == "1280x720"
    assert _after(argv, "-preset") == "veryfast"


def test_virtual_camera_is_encoded_with_regular_keyframes() -> None:
    camera = _camera("virtual", video_size="640x360", framerate=15)
    argv = build_record_args(camera, CodecPlan("libx264", "aac"), RUN)
    assert "testsrc2=size=640x360:rate=15" in argv
    assert _after(argv, "-g") == "15"


def test_probe_options_read_codecs_from_the_sdp() -> None:
    options = probe_options(_camera(), timeout_option="timeout")
    assert options["rtsp_transport"] == "tcp" and options["timeout"] == 5_000_000
    assert options["analyzeduration"] == 0


def test_parse_probe_and_no_video() -> None:
    probe = parse_probe({"streams": [
        {"codec_type": "video", "codec_name": "h264", "width": 1280, "height": 720},
        {"codec_type": "audio", "codec_name": "pcm_alaw"}]})
    assert probe == SourceProbe("h264", "pcm_alaw", 1280, 720)
    with pytest.raises(ProbeError, match="no video"):
        parse_probe({"streams": [{"codec_type": "audio", "codec_name": "aac"}]})


def test_copy_baseline_is_plain_segmenting_copy() -> None:
    argv = build_copy_baseline_args("rtsp://c/1", Path("/tmp/o"), segment_s=60)
    assert "-progress" not in argv
    assert _after(argv, "-c") == "copy"
    assert _after(argv, "-f") == "segment"
