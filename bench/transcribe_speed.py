"""Transcription speed: the pipeline against a bare `WhisperModel.transcribe` of the same file.

A ~60 s MPEG-TS segment (espeak-ng English speech and silence, half each) is stored in a
real archive (SeaweedFS, SQLite catalog). The baseline decodes and transcribes the file with
faster-whisper directly; the pipeline runs `TranscriptionPipeline.transcribe_segment`: read
and verify the segment from the store, decode, transcribe, drop non-speech, cut loops, stage
the result, stitch, publish lines with jieba tokens and flags in one transaction. Same
loaded model, same decoding parameters, language detected each time, alternated run by run
so load from other processes hits both alike; medians are compared.

    .venv/bin/python bench/transcribe_speed.py [--rounds 3] [--threads 2]
        [--device cpu|cuda] [--compute-type int8|float16] [--model DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.access import registry
from archive.devstack.ephemeral import ephemeral_stack
from archive.evidence.digest import sha256_file
from archive.evidence.vocabulary import JurisdictionLevel, RecordingOrigin
from archive.ingest import service as ingest
from archive.services import Archive
from transcribe.engine import EngineParams, load_transcriber
from transcribe.jobs import build_pipeline
from transcribe.models import TranscriptChunk
from transcribe.settings import TranscribeSettings
from transcribe.whisper_files import ensure_base_model, resolve_model

SENTENCES = [
    "Good morning, please take a seat. This session is recorded for quality purposes.",
    "I would like to apply for legal aid because my employer has not paid my wages.",
    "How long have you worked there, and do you have a written labour contract?",
    "I worked on the construction site for three months, but I have no contract.",
    "Please bring your identity card and any proof of work to the next appointment.",
    "Legal aid is free of charge. Nobody here may ask you for money or a gift.",
]
OPERATOR = ingest.Actor(id="operator:bench", jurisdiction_id=None)


def run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


def duration(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True,
                                text=True).stdout)


def make_audio(directory: Path) -> tuple[Path, float, float]:
    """Each sentence followed by as much silence as it lasted; muxed like a camera's."""
    parts, speech = [], 0.0
    for number, sentence in enumerate(SENTENCES):
        raw, wav = directory / f"s{number}.raw.wav", directory / f"s{number}.wav"
        run("espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), sentence)
        run("sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav))
        spoken = duration(wav)
        speech += spoken
        block = directory / f"b{number}.wav"
        run("sox", "-D", str(wav), str(block), "pad", "0", f"{spoken:.3f}")
        parts.append(str(block))
    full = directory / "speech.wav"
    run("sox", "-D", *parts, str(full))
    seconds = duration(full)
    segment = directory / "segment.ts"
    run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        f"testsrc2=size=320x240:rate=10:duration={seconds:.2f}", "-i", str(full),
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "aac", "-b:a", "64k",
        "-ar", "48000", "-shortest", "-f", "mpegts", str(segment))
    return segment, seconds, speech / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--compute-type", default=None)
    parser.add_argument("--model", default=None, help="model directory (default: base)")
    args = parser.parse_args()
    compute_type = args.compute_type or ("float16" if args.device == "cuda" else "int8")
    with tempfile.TemporaryDirectory(prefix="aidrec-bench-") as tmp:
        root = Path(tmp)
        segment, seconds, speech_share = make_audio(root)
        model_dir = args.model or str(ensure_base_model(
            Path.home() / ".cache" / "aidrec" / "models" / "whisper-base"))
        settings = TranscribeSettings(model=model_dir, device=args.device,
                                      compute_type=compute_type, cpu_threads=args.threads)
        engine = load_transcriber(settings, resolve_model(settings, home=root))
        bare = engine.whisper_model
        kwargs = EngineParams.from_settings(settings).transcribe_kwargs()
        with ephemeral_stack(root / "stack") as stack:
            archive = Archive.from_settings(stack.settings(
                home=root / "home", catalog_url=f"sqlite:///{root / 'catalog.db'}"))
            archive.catalog.migrate()
            with archive.catalog.write() as db:
                registry.create_jurisdiction(db, id="p", name="省",
                                             level=JurisdictionLevel.PROVINCE)
                registry.create_jurisdiction(db, id="f", name="市", parent_id="p",
                                             level=JurisdictionLevel.PREFECTURE)
                registry.create_jurisdiction(db, id="c", name="县", parent_id="f",
                                             level=JurisdictionLevel.COUNTY)
                registry.create_jurisdiction(db, id="s", name="站", parent_id="c",
                                             level=JurisdictionLevel.STATION)
                registry.create_window(db, id="w1", name="窗口", jurisdiction_id="s")
            pipeline = build_pipeline(archive, settings, transcriber=lambda: engine)

            def baseline() -> tuple[float, float]:
                wall, cpu = time.perf_counter(), time.process_time()
                segments, _info = bare.transcribe(str(segment), **kwargs)
                list(segments)
                return time.perf_counter() - wall, time.process_time() - cpu

            outside_engine: list[float] = []

            def ours(number: int) -> tuple[float, float]:
                rid = stored_recording(archive, segment, seconds, number)
                wall, cpu = time.perf_counter(), time.process_time()
                outcome = pipeline.transcribe_segment(rid, 0)
                elapsed = time.perf_counter() - wall, time.process_time() - cpu
                assert outcome.lines > 0 and not outcome.skipped
                with archive.catalog.read() as db:
                    engine_ms = db.scalar(select(TranscriptChunk.elapsed_ms).where(
                        TranscriptChunk.recording_id == rid)) or 0
                outside_engine.append(elapsed[0] - engine_ms / 1000)
                return elapsed

            baseline()  # warm-up: first call pays one-time initialisation
            ours(0)
            base_runs, pipe_runs = [], []
            for number in range(1, args.rounds + 1):
                base_runs.append(baseline())
                pipe_runs.append(ours(number))
            closed = close(archive, segment, seconds)
            pipeline.transcribe_segment(closed, 0)
            seal_started = time.perf_counter()
            version = pipeline.finalize(closed)
            seal_s = time.perf_counter() - seal_started
            archive.close()
    report(args, compute_type, seconds, speech_share, base_runs, pipe_runs, seal_s,
           version is not None)
    print(f"pipeline time outside the engine call (store read, decode of the TS is inside): "
          f"median {statistics.median(outside_engine[1:]) * 1000:.0f} ms per segment")


def stored_recording(archive: Archive, segment: Path, seconds: float, number: int) -> str:
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC) + timedelta(hours=number)
    recording = ingest.open_recording(archive.catalog, actor=OPERATOR, window_id="w1",
                                      started_at=start, origin=RecordingOrigin.IMPORT,
                                      retention_days=180)
    sha, size = sha256_file(segment)
    meta = ingest.SegmentMeta(seq=0, sha256=sha, prev_hash=recording.chain_head,
                              started_at=start, ended_at=start + timedelta(seconds=seconds),
                              partial=False, content_type="video/mp2t")
    with segment.open("rb") as body:
        ingest.put_segment(archive.catalog, archive.store, actor=OPERATOR,
                           recording_id=recording.id, meta=meta, body=body, size=size,
                           body_sha256=sha)
    return recording.id


def close(archive: Archive, segment: Path, seconds: float) -> str:
    rid = stored_recording(archive, segment, seconds, 99)
    with archive.catalog.read() as db:
        from archive.catalog.models import Recording

        recording = db.get_one(Recording, rid)
    ingest.close_recording(archive.catalog, actor=OPERATOR, recording_id=rid,
                           ended_at=recording.started_at + timedelta(seconds=seconds))
    return rid


def report(args: argparse.Namespace, compute_type: str, seconds: float, speech_share: float,
           base_runs: list[tuple[float, float]], pipe_runs: list[tuple[float, float]],
           seal_s: float, sealed: bool) -> None:
    base = statistics.median(w for w, _ in base_runs)
    pipe = statistics.median(w for w, _ in pipe_runs)
    base_cpu = statistics.median(c for _, c in base_runs)
    pipe_cpu = statistics.median(c for _, c in pipe_runs)
    print(f"audio {seconds:.1f} s ({speech_share:.0%} speech), base, {args.device}/"
          f"{compute_type}, {args.threads} threads, {args.rounds} rounds alternated, "
          f"{os.cpu_count()} cores")
    print("| run | wall (median) | × real time | CPU-s per audio-s |\n|---|---|---|---|")
    print(f"| bare WhisperModel.transcribe | {base:.2f} s | {seconds / base:.1f}× | "
          f"{base_cpu / seconds:.2f} |")
    print(f"| pipeline transcribe_segment | {pipe:.2f} s | {seconds / pipe:.1f}× | "
          f"{pipe_cpu / seconds:.2f} |")
    print(f"overhead: {(pipe / base - 1) * 100:+.1f} % wall, {(pipe_cpu / base_cpu - 1) * 100:+.1f}"
          f" % CPU; runs (bare, pipeline): "
          + ", ".join(f"({b:.2f}, {p:.2f})" for (b, _), (p, _) in
                      zip(base_runs, pipe_runs, strict=True)))
    print(f"finalize after close (stitch, WebVTT + JSON stored under lock, signed, "
          f"timestamped, logged, lines and flags published): {seal_s:.2f} s (sealed: {sealed})")


if __name__ == "__main__":
    main()
