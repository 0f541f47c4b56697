"""Transcription jobs: one huey task per stored segment, a seal per closed recording, a sweep.

Registered through the `aidrec.tasks` entry point in every process that builds the queue, so
any number of workers on any number of machines (SQLite storage on one host, Redis across
hosts) share the load.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from huey import crontab

from archive.jobs import RECORDING_CLOSED, RECORDING_SEALED, SEGMENT_STORED, JobRegistry
from archive.services import Archive
from archive.settings import load_section
from transcribe.engine import Transcriber, load_transcriber
from transcribe.flags import load_phrasebook
from transcribe.pipeline import TranscriptionPipeline
from transcribe.settings import TranscribeSettings
from transcribe.tokens import ensure_jieba
from transcribe.whisper_files import resolve_model

logger = logging.getLogger(__name__)

SWEEP_EVERY_MINUTES = 5


def build_pipeline(archive: Archive, settings: TranscribeSettings,
                   transcriber: Callable[[], Transcriber] | None = None) -> TranscriptionPipeline:
    """The pipeline of one process; the model loads on first use, once per process."""
    home = archive.settings.home
    ensure_jieba(home / "cache" / "jieba")
    lock = threading.Lock()
    loaded: list[Transcriber] = []

    def engine() -> Transcriber:
        with lock:
            if not loaded:
                loaded.append(load_transcriber(settings, resolve_model(settings, home=home)))
            return loaded[0]

    return TranscriptionPipeline(archive=archive, settings=settings,
                                 transcriber=transcriber or engine,
                                 phrasebook=load_phrasebook(settings.phrases_file))


def register(registry: JobRegistry, *, settings: TranscribeSettings | None = None) -> None:
    """Add transcription tasks and subscribe them to archive events."""
    config = settings or load_section(TranscribeSettings, registry.settings)
    if not config.enabled:
        logger.info("transcription disabled")
        return
    huey = registry.huey
    holder: dict[str, TranscriptionPipeline] = {}
    holder_lock = threading.Lock()

    def pipeline() -> TranscriptionPipeline:
        with holder_lock:
            if "pipeline" not in holder:
                holder["pipeline"] = build_pipeline(registry.archive(), config)
            return holder["pipeline"]

    @huey.task(retries=config.retries, retry_delay=config.retry_delay_s)  # type: ignore[untyped-decorator]
    def transcribe_segment(recording_id: str, seq: int, force: bool = False) -> None:
        outcome = pipeline().transcribe_segment(recording_id, seq, force=force)
        for other in outcome.requeue:
            transcribe_segment(recording_id, other)
        if outcome.ready:
            finalize_transcript(recording_id)

    @huey.task(retries=config.retries, retry_delay=config.retry_delay_s)  # type: ignore[untyped-decorator]
    def finalize_transcript(recording_id: str, *_event: Any) -> None:
        pipeline().finalize(recording_id)

    @huey.periodic_task(crontab(minute=f"*/{SWEEP_EVERY_MINUTES}"))  # type: ignore[untyped-decorator]
    def transcribe_overdue() -> None:
        segments, closed = pipeline().overdue(now=datetime.now(UTC))
        for recording_id, seq in segments:
            transcribe_segment(recording_id, seq)
        for recording_id in closed:
            finalize_transcript(recording_id)
        if segments or closed:
            logger.warning("overdue transcription re-queued",
                           extra={"segments": len(segments), "recordings": len(closed)})

    registry.add_task("transcribe_segment", transcribe_segment)
    registry.add_task("finalize_transcript", finalize_transcript)
    registry.add_task("transcribe_overdue", transcribe_overdue)
    registry.subscribe(SEGMENT_STORED, "transcribe_segment")
    registry.subscribe(RECORDING_CLOSED, "finalize_transcript")
    registry.subscribe(RECORDING_SEALED, "finalize_transcript")
