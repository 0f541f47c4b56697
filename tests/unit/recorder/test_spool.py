"""The spool: durable order, chain on the agent, deletion only after confirmation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.evidence.digest import chain_hash, genesis_hash
from archive.evidence.vocabulary import GapCause
from recorder.errors import SpoolError
from recorder.outage import GapRecord
from recorder.spool import ItemKind, Spool, seal_file

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _segment(spool: Spool, run_dir: Path, name: str, data: bytes, start: float,
             **kw: object) -> object:
    path = run_dir / name
    path.write_bytes(data)
    sha, size = seal_file(path)
    rec = spool.current_recording("cam1")
    assert rec is not None
    run_id = int(run_dir.name.split("-")[1])
    return spool.add_segment(rec=rec, run_id=run_id, path=path, sha256=sha, size=size,
                             started_at=T0 + timedelta(seconds=start),
                             ended_at=T0 + timedelta(seconds=start + 2), partial=False,
                             closed_at=0.0, now=T0, **kw)  # type: ignore[arg-type]


def test_chain_is_computed_once_the_archive_opens_the_recording(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    rec = spool.open_recording(camera_id="cam1", window_id="w1", block_start=T0,
                               block_end=None, now=T0)
    run = spool.new_run(rec, now=T0)
    _segment(spool, run.dir, "seg-000000.ts", b"a" * 100, 0)
    seg0 = spool.segments()[0]
    assert seg0.seq == 0 and seg0.prev_hash is None  # genesis not known yet
    opening = spool.next_item("cam1")
    assert opening is not None and opening.kind is ItemKind.OPEN
    spool.confirm_open(opening, remote_id="r1", genesis=genesis_hash("r1"), now=T0)
    _segment(spool, run.dir, "seg-000001.ts", b"b" * 100, 2)
    first, second = spool.segments()
    sha_a, sha_b = (hashlib.sha256(x * 100).hexdigest() for x in (b"a", b"b"))
    assert first.prev_hash == genesis_hash("r1")
    assert first.chain_hash == chain_hash(genesis_hash("r1"), sha_a)
    assert second.prev_hash == first.chain_hash and second.seq == 1
    assert second.chain_hash == chain_hash(first.chain_hash, sha_b)
    assert spool.get_recording(rec.id).chain_head == second.chain_hash


def test_a_segment_is_spooled_once_and_deleted_only_when_confirmed(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    rec = spool.open_recording(camera_id="cam1", window_id="w1", block_start=T0,
                               block_end=None, now=T0)
    run = spool.new_run(rec, now=T0)
    assert _segment(spool, run.dir, "seg-000000.ts", b"x", 0) is not None
    assert _segment(spool, run.dir, "seg-000000.ts", b"x", 0) is None
    item = spool.segments()[0]
    assert item.path is not None and item.path.exists()
    assert spool.backlog("cam1") == (1, 1)
    with pytest.raises(SpoolError, match="a segment is never given up"):
        spool.reject_item(item, error="no", now=T0)
    spool.confirm_segment(item, now=T0)
    assert not item.path.exists()
    assert spool.backlog("cam1") == (0, 0)


def test_state_survives_reopening_and_gaps_clear_the_outage(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    rec = spool.open_recording(camera_id="cam1", window_id="w1", block_start=T0,
                               block_end=None, now=T0)
    run = spool.new_run(rec, now=T0)
    from recorder.outage import Outage

    spool.set_outage(rec.id, Outage(started_at=T0, cause=GapCause.CAMERA_UNREACHABLE))
    spool.close()
    spool = Spool(tmp_path)
    rec = spool.get_recording(rec.id)
    assert rec.outage is not None and rec.outage.cause is GapCause.CAMERA_UNREACHABLE
    gap = GapRecord(T0, T0 + timedelta(seconds=3), GapCause.CAMERA_UNREACHABLE, "refused")
    _segment(spool, run.dir, "seg-000000.ts", b"x", 3, gap=gap)
    rec = spool.get_recording(rec.id)
    assert rec.outage is None and rec.started_at == T0 + timedelta(seconds=3)
    kinds = [i.kind for i in spool.items()]
    assert kinds == [ItemKind.OPEN, ItemKind.GAP, ItemKind.SEGMENT]
    assert [r.id for r in spool.running_runs("cam1")] == [run.id]


def test_confirmed_leftovers_are_removed_after_a_crash(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    rec = spool.open_recording(camera_id="cam1", window_id="w1", block_start=T0,
                               block_end=None, now=T0)
    run = spool.new_run(rec, now=T0)
    _segment(spool, run.dir, "seg-000000.ts", b"x", 0)
    item = spool.segments()[0]
    assert item.path is not None
    # A crash between the commit and the unlink: the file is still there.
    spool.complete_item(item, now=T0)
    assert item.path.exists()
    assert spool.delete_confirmed_leftovers() == 1
    assert not item.path.exists()
    spool.end_run(run.id, now=T0, returncode=0)
    spool.remove_empty_run_dirs()
    assert not run.dir.exists()


def test_prune_forgets_old_confirmed_items_only(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    rec = spool.open_recording(camera_id="cam1", window_id="w1", block_start=T0,
                               block_end=None, now=T0)
    run = spool.new_run(rec, now=T0)
    _segment(spool, run.dir, "seg-000000.ts", b"x", 0)
    _segment(spool, run.dir, "seg-000001.ts", b"y", 2)
    opening = spool.next_item("cam1")
    assert opening is not None
    spool.confirm_open(opening, remote_id="r1", genesis=genesis_hash("r1"), now=T0)
    spool.confirm_segment(spool.segments()[0], now=T0)
    assert spool.prune(before=T0 + timedelta(days=1)) == 2
    assert [i.seq for i in spool.items()] == [1]
