"""The disposal certificate document: canonical, complete, and stable across retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from archive.evidence.vocabulary import RecordingOrigin
from retention.certificate import (
    CERTIFICATE_FORMAT,
    ApprovalRef,
    ObjectRef,
    ReleasedHold,
    build_certificate,
)
from retention.policy import Period, RecordingFacts, decide

NOW = datetime(2027, 6, 1, tzinfo=UTC)
END = datetime(2026, 11, 2, tzinfo=UTC)


def _document() -> bytes:
    facts = RecordingFacts(id="r1", origin=RecordingOrigin.LIVE, running=False,
                           started_at=END - timedelta(hours=1), ended_at=END,
                           created_at=END - timedelta(hours=1), lock_until=END)
    decision = decide(facts, [], floor=Period(days=180), now=NOW)
    return build_certificate(
        certificate_id="c1", issued_at=NOW, executed_by="system:retention",
        recording={"id": "r1", "window_id": "wh-w1"},
        objects=[ObjectRef(1, "recordings/r1/segments/000001.ts", "v2", "b" * 64, 20),
                 ObjectRef(None, "recordings/r1/segments/000001.ts", "v9", "c" * 64, 20),
                 ObjectRef(0, "recordings/r1/segments/000000.ts", "v1", "a" * 64, 10)],
        decision=decision,
        batch={"batch": "b1", "proposed_by": "admin1", "proposed_at": "2027-06-01T00:00:00Z",
               "required": 2},
        approvals=[ApprovalRef("admin1", "admin", NOW, "due"),
                   ApprovalRef("admin2", "admin", NOW, "checked")],
        released_holds=[ReleasedHold("h1", "complaint", "TS-1", NOW - timedelta(days=1),
                                     "insp1", "closed, no misconduct")])


def test_certificate_names_what_why_who_and_when() -> None:
    document = json.loads(_document())
    assert document["format"] == CERTIFICATE_FORMAT
    assert [(o["seq"], o["version_id"]) for o in document["objects"]] == [
        (0, "v1"), (1, "v2"), (None, "v9")]  # pinned segments in order, then unpinned copies
    assert document["totals"] == {"objects": 3, "bytes": 50}
    assert document["retention"]["rule_id"] == "floor"
    assert document["retention"]["retain_until"] == "2027-05-01T00:00:00.000000Z"
    assert [a["user"] for a in document["approval"]["approvals"]] == ["admin1", "admin2"]
    assert document["holds"]["released"][0]["reference"] == "TS-1"
    assert document["certificate"]["issued_at"] == "2027-06-01T00:00:00.000000Z"


def test_certificate_bytes_are_canonical_and_repeatable() -> None:
    first = _document()
    assert first == _document()
    assert json.dumps(json.loads(first), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode() == first
