"""The local stack as an operator runs it: `aidrec up`, `aidrec ingest`, then the worker
transcribes and seals without being asked; search, show, verify, correct and queue by CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.access import registry
from archive.catalog.db import Catalog
from archive.devstack.seaweed import find_free_s3_port
from archive.evidence.vocabulary import JurisdictionLevel
from tests.conftest import free_port
from tests.integration.transcribe.conftest import Clip
from transcribe.models import Transcript


def aidrec(env: dict[str, str], *args: str, check: bool = True,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "archive", *args], env=env, text=True,
                            capture_output=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"aidrec {' '.join(args)} -> {result.returncode}\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory,
          whisper_model_dir: Path) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("home")
    s3 = find_free_s3_port()
    env = {**os.environ, "AIDREC_HOME": str(home), "AIDREC_PORTS__API": str(free_port()),
           "AIDREC_PORTS__S3": str(s3), "AIDREC_PORTS__SEAWEED_BASE": str(s3 + 1),
           "AIDREC_PORTS__TSA": str(free_port()),
           # The worker inherits this: the cached model instead of a fresh 145 MB assembly.
           "AIDREC_TRANSCRIBE__MODEL": str(whisper_model_dir)}
    aidrec(env, "up", "--detach")
    try:
        # Registered in-process (the catalog is SQLite under AIDREC_HOME): each `aidrec admin`
        # costs a few seconds of start-up on a busy box, and test_stack_cli covers them.
        catalog = Catalog(f"sqlite:///{home / 'catalog.db'}")
        with catalog.write() as db:
            registry.create_jurisdiction(db, id="yn", name="云南省",
                                         level=JurisdictionLevel.PROVINCE)
            for node, parent, level in (("km", "yn", JurisdictionLevel.PREFECTURE),
                                        ("wh", "km", JurisdictionLevel.COUNTY),
                                        ("wh-s1", "wh", JurisdictionLevel.STATION)):
                registry.create_jurisdiction(db, id=node, name=node, parent_id=parent,
                                             level=level)
            registry.create_window(db, id="wh-w1", name="1号窗口", jurisdiction_id="wh-s1")
        catalog.dispose()
        yield env
    finally:
        aidrec(env, "down", check=False)


def _search(env: dict[str, str], query: str, *extra: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(aidrec(env, "search", query, "--json", *extra).stdout)
    return found


def test_ingested_recording_is_transcribed_sealed_found_and_corrected(
    stack: dict[str, str], hello: Clip, quiet: Clip
) -> None:
    out = aidrec(stack, "ingest", str(hello.path), str(quiet.path), "--window", "wh-w1",
                 "--case", "云援〔2026〕0456号", "--stage", "application", "--staff", "s-9",
                 "--started-at", "2026-11-04T03:00:00", "--json")
    recording = json.loads(out.stdout)["recording_id"]
    catalog = Catalog(f"sqlite:///{Path(stack['AIDREC_HOME']) / 'catalog.db'}")
    deadline = time.monotonic() + 150
    state = None
    while state != "complete" and time.monotonic() < deadline:  # nobody asks: the worker does
        time.sleep(1)
        with catalog.read() as db:
            transcript = db.get(Transcript, recording)
            state = transcript.state if transcript else None
    catalog.dispose()
    assert state == "complete", "the worker did not seal a transcript in 150 s"
    report = json.loads(aidrec(stack, "transcribe", "verify", recording, "--json").stdout)
    assert report["ok"] is True

    page = _search(stack, "help", "--case", "云援〔2026〕0456号")
    (hit,) = page["hits"]
    assert hit["open"]["recording_id"] == recording and hit["open"]["offset_s"] < 3
    assert (hit["stage"], hit["staff_id"], hit["provisional"]) == ("application", "s-9", False)
    assert hit["at"].startswith("2026-11-04T03:00:0")

    vtt = aidrec(stack, "transcribe", "show", recording, "--format", "vtt").stdout
    assert vtt.startswith("WEBVTT") and "help" in vtt.lower()
    aidrec(stack, "transcribe", "correct", recording, "--edit", "1=Hello, how may I assist you?",
           "--author", "sup-1", "--reason", "review")
    assert _search(stack, "assist")["hits"][0]["version"] == 2
    # Not announced as recorded: the session is in the queue.
    queue = json.loads(aidrec(stack, "transcribe", "queue", "--json").stdout)
    assert [(q["recording_id"], q["flags"]) for q in queue] == [
        (recording, {"notice_missing": 1})]
