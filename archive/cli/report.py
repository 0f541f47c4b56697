"""How every verify, audit and fixity command prints its report, and the exit code it returns.

Exit codes: 0 every check passed; 1 a check failed; 2 usage or operating error (`fail`);
3 every check passed but only against trust carried by the target itself (an evidence package
checked without `--trust-root`): it proved only that it is self-consistent.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from archive.evidence.report import Report

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SELF_CONSISTENT = 3
SELF_CONSISTENT_ONLY = ("self-consistent only: no trust root given, so nothing shows who made "
                        "it; verify again with --trust-root and the root received separately")


def print_report(report: Report, *, as_json: bool, passed: str = "all checks passed",
                 self_consistent_only: bool = False) -> int:
    """Print `report` on stdout, as JSON or as one PASS/FAIL line per check.

    Returns the exit code: 0 only when every check passed (a report without checks fails);
    3 instead of 0 when `self_consistent_only` (the checks rest on the target's own trust).
    """
    if as_json:
        typer.echo(report.to_json())
    else:
        # Built per report: it reads the terminal width from the environment.
        out = Console(highlight=False, soft_wrap=True, emoji=False)
        out.print(f"[bold]{escape(report.target)}[/bold]")
        for warning in report.warnings:
            out.print(f"  [yellow]WARNING[/yellow] {escape(warning)}")
        for check in report.checks:
            mark = "[green]PASS[/green]" if check.ok else "[red]FAIL[/red]"
            where = f" ({check.subject})" if check.subject else ""
            out.print(f"  {mark} {escape(check.name + where)}: {escape(check.detail)}")
        failed = sum(not c.ok for c in report.checks)
        if not report.ok:
            out.print(f"[red]verification FAILED[/red]: {failed} of {len(report.checks)} "
                      "check(s) failed")
        elif self_consistent_only:
            out.print(f"[yellow]{escape(SELF_CONSISTENT_ONLY)}[/yellow]")
        else:
            out.print(f"[green]{escape(passed)}[/green]")
    if not report.ok:
        return EXIT_FAILED
    return EXIT_SELF_CONSISTENT if self_consistent_only else EXIT_PASSED
