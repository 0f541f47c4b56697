"""A live IP camera for tests: GStreamer's RTSP server on 127.0.0.1 (run with /usr/bin/python3).

Mounts: /cam (H.264 + AAC) and /g711 (H.264 + G.711 A-law). Prints "ready PORT" once listening.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def _video(args: argparse.Namespace) -> str:
    return (f"videotestsrc is-live=true pattern={args.pattern} ! "
            f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 ! "
            f"x264enc tune=zerolatency speed-preset=ultrafast bitrate={args.bitrate} "
            f"key-int-max={args.gop} ! rtph264pay name=pay0 pt=96 config-interval=1")


def _factory(launch: str) -> GstRtspServer.RTSPMediaFactory:
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {launch} )")
    factory.set_shared(True)
    return factory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--bitrate", type=int, default=800, help="kbit/s of the H.264 stream")
    parser.add_argument("--gop", type=int, default=25, help="frames between keyframes")
    parser.add_argument("--pattern", default="ball")
    args = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    aac = ("audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=48000,channels=1 ! "
           "audioconvert ! avenc_aac ! rtpmp4gpay name=pay1 pt=97")
    g711 = ("audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=8000,channels=1 ! "
            "audioconvert ! alawenc ! rtppcmapay name=pay1 pt=8")
    mounts = server.get_mount_points()
    mounts.add_factory("/cam", _factory(f"{_video(args)} {aac}"))
    mounts.add_factory("/g711", _factory(f"{_video(args)} {g711}"))
    mounts.add_factory("/video", _factory(_video(args)))
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"ready {args.port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
