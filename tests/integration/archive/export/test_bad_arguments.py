"""Refused exports: a clear error, no file, no temporary left behind, nothing recorded."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.access.people import Principal
from archive.catalog.models import LogLeaf
from archive.evidence.errors import (
    ArchiveError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from archive.evidence.vocabulary import Role
from archive.export.offline.layout import ExportRequest, Selection
from archive.settings import to_toml
from tests.integration.archive.export.conftest import CASE, T0, Seeded, run

pytestmark = pytest.mark.usefixtures("test_stack")

STAFF = Principal(user_id="clerk", role=Role.WINDOW_STAFF, jurisdiction_id="wh",
                  jurisdiction_path="/yn/km/wh/")
OTHER_COUNTY = Principal(user_id="insp-gd", role=Role.INSPECTOR, jurisdiction_id="gd",
                         jurisdiction_path="/yn/km/gd/")


def _exports_logged(seeded: Seeded) -> int:
    with seeded.archive.catalog.read() as db:
        return int(db.scalar(select(func.count()).select_from(LogLeaf)
                             .where(LogLeaf.kind == "export")) or 0)


@pytest.mark.parametrize(("selection", "principal", "error", "match"), [
    (Selection(case="云援〔2099〕9999号"), None, NotFoundError, "case .* does not exist"),
    (Selection(session_ids=("0" * 32,)), None, NotFoundError, "session .* does not exist"),
    (Selection(window_id="nowhere", since=T0, until=T0 + timedelta(hours=1)), None,
     NotFoundError, "window nowhere does not exist"),
    (Selection(window_id="wh-w1", since=T0, until=T0), None, InvalidInputError,
     "empty time range"),
    (Selection(window_id="wh-w1", since=T0 - timedelta(days=2),
               until=T0 - timedelta(days=1)), None, InvalidInputError, "recorded nothing"),
    (Selection(case=CASE), STAFF, PermissionDeniedError, "role window_staff may not"),
    (Selection(case=CASE), OTHER_COUNTY, NotFoundError, "case .* does not exist"),
])
def test_refused_requests_leave_no_file(seeded: Seeded, tmp_path: Path, selection: Selection,
                                        principal: Principal | None, error: type[ArchiveError],
                                        match: str) -> None:
    before = _exports_logged(seeded)
    request = ExportRequest(selection=selection, reason="核查", actor="operator:test")
    with pytest.raises(error, match=match):
        seeded.builder().export(request, tmp_path / "out.zip", principal=principal)
    assert list(tmp_path.iterdir()) == []
    assert _exports_logged(seeded) == before


def test_existing_output_and_bad_names_are_refused(seeded: Seeded, tmp_path: Path) -> None:
    request = ExportRequest(selection=Selection(case=CASE), reason="核查", actor="operator:t")
    (tmp_path / "taken.zip").write_bytes(b"keep me")
    with pytest.raises(InvalidInputError, match="already exists"):
        seeded.builder().export(request, tmp_path / "taken.zip", principal=None)
    assert (tmp_path / "taken.zip").read_bytes() == b"keep me"
    with pytest.raises(InvalidInputError, match=r"expected a \.zip"):
        seeded.builder().export(request, tmp_path / "x.tar", principal=None)
    with pytest.raises(InvalidInputError, match="does not exist"):
        seeded.builder().export(request, tmp_path / "missing" / "x.zip", principal=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.zip"]


def test_cli_names_the_problem_and_writes_nothing(seeded: Seeded, tmp_path: Path) -> None:
    config = tmp_path / "aidrec.toml"
    config.write_text(to_toml(seeded.archive.settings))
    out = tmp_path / "out"
    out.mkdir()

    def export(*args: str) -> tuple[int, str]:
        done = run(sys.executable, "-m", "archive", "export", "--config", config,
                   "--out", out / "p.zip", *args)
        return done.returncode, done.stdout + done.stderr

    code, text = export("--case", "云援〔2099〕9999号", "--reason", "核查")
    assert code == 2 and "case 云援〔2099〕9999号 does not exist" in text
    code, text = export("--window", "wh-w1", "--from", "2026-11-02T09:00",
                        "--to", "2026-11-02T10:00", "--reason", "核查")
    assert code == 2 and "no UTC offset" in text
    assert list(out.iterdir()) == []
