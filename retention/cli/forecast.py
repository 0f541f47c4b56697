"""`aidrec retention forecast`: storage per jurisdiction ahead, and when the store fills."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from archive.cli.common import ConfigOpt, console, open_archive, print_json
from archive.evidence.vocabulary import JurisdictionLevel
from retention.chart import render_svg
from retention.cli.common import JsonOpt, now, out, retention_settings
from retention.forecast import Forecast, gather, human_bytes, project


def forecast(
    months: Annotated[int, typer.Option(min=1, max=120)] = 12,
    level: Annotated[JurisdictionLevel, typer.Option(help="group by this level")] =
    JurisdictionLevel.COUNTY,
    svg: Annotated[Path | None, typer.Option(help="write the chart as SVG here")] = None,
    as_json: JsonOpt = False, config: ConfigOpt = None,
) -> None:
    """Storage per jurisdiction for the coming months; warns before the store fills."""
    archive = open_archive(config)
    settings = retention_settings(archive)
    start = now()
    result = project(gather(archive, now=start, level=level, scope_path="/",
                            window_days=settings.forecast_window_days),
                     start=start, months=months, capacity=settings.store_capacity_bytes,
                     warn_fraction=settings.capacity_warn_fraction)
    if svg is not None:
        svg.write_text(render_svg(result), encoding="utf-8")
        console.print(f"chart written to {svg}")
    if as_json:
        print_json(forecast_json(result))
        return
    steps = sorted({0, 1, 3, 6, 12, months} & set(range(months + 1)))
    table = Table("jurisdiction", "per day", *[result.points[s].strftime("%Y-%m") for s in steps])
    for group, values in result.series.items():
        table.add_row(escape(result.names.get(group, group)),
                      human_bytes(int(result.rates[group])),
                      *[human_bytes(values[s]) for s in steps])
    table.add_row("total", human_bytes(int(sum(result.rates.values()))),
                  *[human_bytes(result.total[s]) for s in steps])
    shown = out()
    shown.print(table)
    for warning in result.warnings:
        shown.print(f"[red]warning:[/red] {escape(warning)}")


def forecast_json(result: Forecast) -> dict[str, Any]:
    return {"start": result.start, "points": result.points, "series": result.series,
            "names": result.names, "total": result.total, "rates_per_day": result.rates,
            "capacity": result.capacity, "warnings": result.warnings}


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
