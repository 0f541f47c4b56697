"""The report every verify, audit and fixity command returns."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from archive.evidence.report import Check, Report


def test_an_empty_report_is_not_ok() -> None:
    assert Report("r1").ok is False  # nothing checked proves nothing


def test_ok_only_when_every_check_passes() -> None:
    report = Report("r1")
    assert report.add("1. chain", True, "3 segments") is True
    assert report.ok is True
    assert report.add("2. seal", False, "signature does not verify", subject="seal 1") is False
    assert report.add("3. log", True, "included") is True
    assert report.ok is False
    assert report.checks[1] == Check("2. seal", False, "signature does not verify", "seal 1")


@given(st.lists(st.booleans(), min_size=1))
def test_ok_is_all_of_the_checks(results: list[bool]) -> None:
    report = Report("r")
    for i, ok in enumerate(results):
        report.add(f"{i}", ok, "")
    assert report.ok is all(results)


def test_warnings_fail_no_check() -> None:
    report = Report("r1", warnings=["the CRL is 3 days old"])
    report.add("1. chain", True, "ok")
    assert report.ok is True


def test_to_json_shape() -> None:
    report = Report("录像 r1", warnings=["w"])
    report.add("1. chain", True, "3 segments")
    report.add("2. seal", False, "bad", subject="seal 1")
    text = report.to_json()
    assert "录像" in text  # not escaped
    document = json.loads(text)
    assert list(document) == ["target", "ok", "warnings", "checks"]
    assert document == {
        "target": "录像 r1", "ok": False, "warnings": ["w"],
        "checks": [{"name": "1. chain", "ok": True, "detail": "3 segments", "subject": ""},
                   {"name": "2. seal", "ok": False, "detail": "bad", "subject": "seal 1"}]}
    assert json.loads(Report("empty").to_json()) == {
        "target": "empty", "ok": False, "warnings": [], "checks": []}


@dataclass
class _Counted(Report):
    objects: int = 0


def test_a_subclass_adds_its_fields_before_the_checks() -> None:
    report = _Counted("store", objects=7)
    report.add("1. objects", True, "7 read back")
    document = json.loads(report.to_json())
    assert list(document) == ["target", "ok", "warnings", "objects", "checks"]
    assert document["objects"] == 7 and document["ok"] is True
