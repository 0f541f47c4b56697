"""Capacity projection and its SVG chart, from fixed inputs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import JurisdictionLevel
from retention.chart import render_svg
from retention.forecast import (
    Forecast,
    SeriesInput,
    add_months,
    group_of,
    human_bytes,
    project,
)

START = datetime(2027, 1, 31, tzinfo=UTC)
GIB = 1024**3


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(START, 1) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(START, 13) == datetime(2028, 2, 29, tzinfo=UTC)


@pytest.mark.parametrize(("path", "level", "group"), [
    ("/yn/km/wh/wh-s1/", JurisdictionLevel.COUNTY, "wh"),
    ("/yn/km/wh/wh-s1/", JurisdictionLevel.PREFECTURE, "km"),
    ("/yn/km/", JurisdictionLevel.STATION, "km"),  # a window higher up is its own group
])
def test_group_of(path: str, level: JurisdictionLevel, group: str) -> None:
    assert group_of(path, level) == group


def series(**changes: object) -> SeriesInput:
    base: dict[str, object] = {"group": "wh", "name": "五华区", "current_bytes": 100 * GIB,
                               "releases": [], "rate_per_day": 0.0, "profile": []}
    base.update(changes)
    return SeriesInput(**base)  # type: ignore[arg-type]


def test_flat_store_stays_flat() -> None:
    result = project([series()], start=START, months=3, capacity=None, warn_fraction=0.85)
    assert result.total == [100 * GIB] * 4
    assert result.warnings == []


def test_releases_on_their_dates() -> None:
    result = project([series(releases=[(add_months(START, 2), 40 * GIB)])], start=START,
                     months=3, capacity=None, warn_fraction=0.85)
    assert result.total == [100 * GIB, 100 * GIB, 60 * GIB, 60 * GIB]


def test_new_recordings_kept_for_their_period_then_released() -> None:
    # 1 GiB a day; half kept 30 days, half kept beyond the horizon (open cases, holds).
    result = project([series(current_bytes=0, rate_per_day=GIB,
                             profile=[(30, 0.5), (None, 0.5)])],
                     start=START, months=2, capacity=None, warn_fraction=0.85)
    days_feb = 28
    assert result.total[1] == round(GIB * (0.5 * days_feb + 0.5 * days_feb))
    days_mar = days_feb + 31  # 59 days: the short half saturates at 30 days' worth
    assert result.total[2] == round(GIB * (0.5 * 30 + 0.5 * days_mar))


def test_warns_before_the_store_fills_and_never_deletes() -> None:
    result = project([series(current_bytes=60 * GIB, rate_per_day=GIB, profile=[(None, 1.0)])],
                     start=START, months=2, capacity=100 * GIB, warn_fraction=0.85)
    assert len(result.warnings) == 2
    assert "85 % of its capacity by 2027-02-28" in result.warnings[0]
    assert "reaches its capacity by 2027-03-31" in result.warnings[1]
    assert all("nothing is deleted" in w for w in result.warnings)


def test_already_full_warns_now() -> None:
    result = project([series()], start=START, months=1, capacity=100 * GIB, warn_fraction=0.5)
    assert "now" in result.warnings[0]


@pytest.mark.parametrize("months", [0, 121])
def test_bad_horizon_refused(months: int) -> None:
    with pytest.raises(InvalidInputError, match="months"):
        project([series()], start=START, months=months, capacity=None, warn_fraction=0.85)


@pytest.mark.parametrize(("value", "text"), [
    (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (5 * GIB, "5.0 GiB"),
    (3 * 1024 * GIB, "3.0 TiB"), (5000 * 1024 * GIB, "5000.0 TiB")])
def test_human_bytes(value: int, text: str) -> None:
    assert human_bytes(value) == text


def test_chart_is_valid_svg_with_a_line_per_series_total_and_capacity() -> None:
    result = project([series(), series(group="gd", name="官渡区 <&>", rate_per_day=GIB,
                                       profile=[(None, 1.0)])],
                     start=START, months=12, capacity=400 * GIB, warn_fraction=0.85)
    svg = render_svg(result, title="forecast")
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 4  # wh, gd, total, capacity
    assert all(len(p.attrib["points"].split()) == 13 for p in lines)
    assert "官渡区 <&>" in "".join(root.itertext())  # escaped in the file, intact when read
    assert "<script" not in svg


def test_chart_of_a_single_point() -> None:
    # `project` always gives two points or more; one point is drawn in the middle of the plot.
    result = Forecast(start=START, points=[START], series={"wh": [100 * GIB]},
                      names={"wh": "五华区"}, total=[100 * GIB], rates={"wh": 0.0},
                      capacity=None)
    root = ET.fromstring(render_svg(result))  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f"{ns}polyline")
    assert [line.findtext(f"{ns}title") for line in lines] == ["五华区", "total"]  # no capacity
    # x: the middle of the 580 px plot; y: 100 GiB under a top of 110 GiB on a 330 px plot.
    assert [line.attrib["points"] for line in lines] == ["370.0,70.0", "370.0,70.0"]
    texts = [t.text for t in root.findall(f"{ns}text")]
    assert texts.count("2027-01") == 1  # one month label
    assert "五华区" in texts and "total" in texts
