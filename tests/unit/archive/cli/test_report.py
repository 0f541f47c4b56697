"""The one printer of every verify, audit and fixity command: text or JSON, and the exit code."""

from __future__ import annotations

import json

import pytest

from archive.cli.report import (
    EXIT_FAILED,
    EXIT_PASSED,
    EXIT_SELF_CONSISTENT,
    EXIT_USAGE,
    SELF_CONSISTENT_ONLY,
    print_report,
)
from archive.evidence.report import Report


def _report(*results: bool) -> Report:
    report = Report("recording r1", warnings=["trusting the package's own root"])
    for i, ok in enumerate(results):
        report.add(f"check {i}", ok, f"detail [{i}]", subject=f"segment {i}" if i else "")
    return report


def test_a_passing_report_prints_every_check_and_exits_0(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert print_report(_report(True, True), as_json=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["recording r1", "  WARNING trusting the package's own root",
                     "  PASS check 0: detail [0]", "  PASS check 1 (segment 1): detail [1]",
                     "all checks passed"]


def test_a_failure_is_named_counted_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert print_report(_report(True, False), as_json=False, passed="the log is whole") == 1
    out = capsys.readouterr().out
    assert "  FAIL check 1 (segment 1): detail [1]" in out
    assert out.endswith("verification FAILED: 1 of 2 check(s) failed\n")
    assert "the log is whole" not in out


def test_the_caller_names_what_passing_means(capsys: pytest.CaptureFixture[str]) -> None:
    assert print_report(_report(True), as_json=False, passed="the access log is whole") == 0
    assert capsys.readouterr().out.endswith("the access log is whole\n")


def test_nothing_checked_is_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    assert print_report(Report("empty"), as_json=True) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_json_is_the_report_itself(capsys: pytest.CaptureFixture[str]) -> None:
    report = _report(True, False)
    assert print_report(report, as_json=True) == 1
    assert json.loads(capsys.readouterr().out) == json.loads(report.to_json())


def test_self_consistent_only_passes_no_check_yet_exits_3(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Every check passed, but against the target's own trust: never exit 0."""
    assert print_report(_report(True, True), as_json=False, self_consistent_only=True) == 3
    out = capsys.readouterr().out
    assert out.endswith(f"{SELF_CONSISTENT_ONLY}\n")
    assert "all checks passed" not in out
    assert print_report(_report(True), as_json=True, self_consistent_only=True) == 3
    capsys.readouterr()
    # A failure is still a failure (1), whatever the trust.
    assert print_report(_report(True, False), as_json=False, self_consistent_only=True) == 1
    assert SELF_CONSISTENT_ONLY not in capsys.readouterr().out


def test_the_exit_codes_are_distinct() -> None:
    codes = (EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_SELF_CONSISTENT)
    assert codes == (0, 1, 2, 3)
