"""The forecast as an SVG line chart: one line per jurisdiction, the total, the capacity."""

from __future__ import annotations

from xml.sax.saxutils import escape

from retention.forecast import Forecast, human_bytes

WIDTH, HEIGHT = 860, 420
LEFT, RIGHT, TOP, BOTTOM = 80, 200, 40, 50
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f", "#aec7e8")
MAX_LINES = len(PALETTE)


def render_svg(forecast: Forecast, *, title: str = "Evidence store forecast") -> str:
    """A self-contained SVG document (no scripts, no external references)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = max([*forecast.total, forecast.capacity or 0, 1]) * 1.1
    count = len(forecast.points)

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top_value

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>",
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<text x="{LEFT}" y="{TOP - 16}" font-size="14">{escape(title)}</text>']
    for step in range(5):
        value = top_value * step / 4
        parts.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{LEFT + plot_w}" '
                     f'y2="{y(value):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
                     f"{escape(human_bytes(value))}</text>")
    every = max(1, count // 12)
    for i, point in enumerate(forecast.points):
        if i % every == 0 or i == count - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">'
                         f'{point.strftime("%Y-%m")}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
                 f'y2="{TOP + plot_h}" stroke="#333"/>')
    groups = sorted(forecast.series, key=lambda g: -forecast.series[g][-1])[:MAX_LINES]
    legend = [(color, forecast.names.get(g, g), forecast.series[g], "1.5", "")
              for color, g in zip(PALETTE, groups, strict=False)]
    legend.append(("#000", "total", forecast.total, "2.5", ""))
    if forecast.capacity is not None:
        legend.append(("#d62728", f"capacity {human_bytes(forecast.capacity)}",
                       [forecast.capacity] * count, "1.5", ' stroke-dasharray="6 4"'))
    for row, (color, name, values, width, dash) in enumerate(legend):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="{width}"{dash} '
                     f'points="{points}"><title>{escape(name)}</title></polyline>')
        ly = TOP + 14 * row
        lx = LEFT + plot_w + 16
        parts.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 18}" y2="{ly}" stroke="{color}" '
                     f'stroke-width="{width}"{dash}/>')
        parts.append(f'<text x="{lx + 24}" y="{ly + 4}">{escape(name)}</text>')
    for row, warning in enumerate(forecast.warnings[:2]):
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - 8 - 14 * row}" fill="#d62728">'
                     f"{escape(warning)}</text>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
