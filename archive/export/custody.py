"""The chain-of-custody report's content, gathered from the export plan (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from archive.export.custody_pdf import (
    CustodyReport,
    ReportAccess,
    ReportFile,
    ReportGap,
    ReportRecording,
    ReportSession,
)
from archive.export.gather import Gathered
from archive.export.offline import layout
from archive.export.parts import AccessEvent
from archive.export.select import ExportPlan
from archive.export.zipbag import BagEntry


def build(*, plan: ExportPlan, found: Gathered, record: dict[str, Any],
          history: Sequence[AccessEvent], files: Sequence[BagEntry],
          time_zone: str) -> CustodyReport:
    """Everything the report states, from sealed manifests and the export record."""
    windows = {r.window_id: r.window_name for r in plan.recordings}
    sessions = [ReportSession(
        id=s["id"], case_number=s.get("case_number"), stage=s.get("stage"),
        window=windows.get(s["window_id"], s["window_id"]),
        staff=_staff(s.get("staff_id"), found.staff),
        started_at=_time(s.get("started_at")) or datetime.min,
        ended_at=_time(s.get("ended_at")), recording_id=s["recording_id"])
        for s in found.sessions if not s.get("unsealed")]
    recordings = [ReportRecording(
        id=r.recording_id, window=r.window_name, jurisdiction=r.jurisdiction_path,
        started_at=_time(r.manifest["recording"]["started_at"]) or datetime.min,
        ended_at=_time(r.manifest["recording"]["ended_at"]), seal_number=r.seal.number,
        sealed_at=r.seal.timestamp_at, manifest_sha256=r.seal.manifest_sha256,
        log_index=r.seal.log_index, tree_size=r.head.size,
        segments_exported=len(r.segments),
        segments_sealed=int(r.manifest["chain"]["segment_count"]),
        exported_bytes=r.selected_bytes) for r in plan.recordings]
    gaps = [ReportGap(recording_id=r.recording_id,
                      started_at=_time(g["started_at"]) or datetime.min,
                      ended_at=_time(g["ended_at"]) or datetime.min, cause=g["cause"],
                      detail=g.get("detail") or "", person=g.get("person"),
                      reported_by=g.get("reported_by") or "")
            for r in plan.recordings for g in r.manifest["gaps"]]
    cases = sorted({s.case_number for s in sessions if s.case_number}
                   | ({plan.case_number} if plan.case_number else set()))
    documents = [(p.document.title or f"{p.document.kind} {p.document.ref}", p.dir)
                 for docs in found.documents.values() for p in docs]
    return CustodyReport(
        export_id=record["id"], created_at=_time(record["created_at"]) or datetime.min,
        actor=record["actor"], actor_name=record.get("actor_name", ""),
        actor_role=record.get("actor_role", ""), reason=record["reason"],
        selection=_selection(record["selection"]), case_numbers=cases,
        sessions=sorted(sessions, key=lambda s: (s.started_at, s.id)),
        recordings=recordings, staff=sorted(found.staff.items()), gaps=gaps,
        access=[ReportAccess(at=e.at, actor=e.actor, action=e.action, target=e.target,
                             reason=e.reason) for e in history],
        files=[ReportFile(path=f.path, size=f.size, sha256=f.sha256)
               for f in sorted(files, key=lambda f: f.path) if f.path != layout.REPORT],
        documents=documents, time_zone=time_zone)


def _selection(selection: dict[str, Any]) -> str:
    if "case" in selection:
        return f"案件 {selection['case']} 的全部会话"
    if "sessions" in selection:
        return "会话 " + "、".join(selection["sessions"])
    return f"窗口 {selection['window']}，{selection['from']} 至 {selection['to']}（UTC）"


def _staff(staff_id: str | None, names: dict[str, str]) -> str:
    if not staff_id:
        return "—"
    name = names.get(staff_id, staff_id)
    return name if name == staff_id else f"{name}（{staff_id}）"


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
