"""How every verify, audit and fixity command prints its report, and the exit code it returns."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from archive.evidence.report import Report


def print_report(report: Report, *, as_json: bool, passed: str = "all checks passed") -> int:
    """Print `report` on stdout, as JSON or as one PASS/FAIL line per check.

    Returns the exit code: 0 only when every check passed (a report without checks fails).
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
        out.print(f"[green]{escape(passed)}[/green]" if report.ok else
                  f"[red]verification FAILED[/red]: {failed} of {len(report.checks)} "
                  "check(s) failed")
    return 0 if report.ok else 1
