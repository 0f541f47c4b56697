"""The shared vocabularies: defined once, spoken by the recorder and the archive's API alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast, get_type_hints

import pytest

from api.ingest.schemas import GapIn, SessionIn
from archive.evidence.vocabulary import GapCause, Stage
from recorder.agent import Agent
from recorder.control import STAGE_NAMES, ControlServer
from recorder.errors import ControlError
from recorder.outage import GapRecord, Outage
from recorder.spool.rows import _outage_from_json, outage_json

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_values_are_the_stored_ones() -> None:
    # The catalog stores these strings and manifests carry them: renaming one breaks evidence.
    assert [s.value for s in Stage] == [
        "consultation", "application", "acceptance", "review", "assignment", "handling",
        "closing", "archiving", "evaluation"]
    assert {c.value for c in GapCause} == {
        "camera_unreachable", "stream_stalled", "recorder_restarted", "recorder_offline",
        "disk_full", "stopped_by_person", "schedule_closed"}


class _Camera:
    def __init__(self) -> None:
        self.stages: list[str | None] = []

    def open_session(self, *, case_number: str | None, stage: str | None,
                     staff_id: str | None, attributes: dict[str, Any]) -> int:
        self.stages.append(stage)
        return len(self.stages)


class _Agent:
    def __init__(self) -> None:
        self.camera = _Camera()

    def cameras_of(self, window_id: str) -> list[_Camera]:
        return [self.camera]


@pytest.fixture
def control() -> Iterator[tuple[ControlServer, _Camera]]:
    agent = _Agent()
    server = ControlServer(cast(Agent, agent), host="127.0.0.1", port=0)
    yield server, agent.camera
    server.httpd.server_close()


def test_the_recorder_accepts_exactly_the_stages(control: tuple[ControlServer, _Camera]) -> None:
    server, camera = control
    assert tuple(s.value for s in Stage) == STAGE_NAMES
    for stage in Stage:
        status, _ = server.handle("POST", "/windows/w1/sessions", {"stage": stage.value}, None)
        assert status == 201
    assert camera.stages == [s.value for s in Stage]
    listed = ", ".join(s.value for s in Stage)
    for bad in ("Review", "closed", ""):
        with pytest.raises(ControlError, match=f"got stage '{bad}', expected one of {listed}$"):
            server.handle("POST", "/windows/w1/sessions", {"stage": bad}, None)


@pytest.mark.parametrize("stage", list(Stage))
def test_the_archive_accepts_every_stage_the_recorder_sends(stage: Stage) -> None:
    assert SessionIn.model_validate({"started_at": T0.isoformat(),
                                     "stage": stage.value}).stage is stage


def test_the_recorder_records_gaps_in_the_shared_causes() -> None:
    assert get_type_hints(Outage)["cause"] is GapCause
    assert get_type_hints(GapRecord)["cause"] is GapCause


@pytest.mark.parametrize("cause", list(GapCause))
def test_every_gap_cause_survives_the_spool_and_the_wire(cause: GapCause) -> None:
    outage = Outage(started_at=T0, cause=cause, detail="d")
    assert _outage_from_json(outage_json(outage)) == outage
    gap = GapRecord(started_at=T0, ended_at=T0 + timedelta(seconds=5), cause=cause, detail="d")
    assert GapIn.model_validate(gap.as_payload()).cause is cause
