"""Charts as vega-lite specifications (altair), rendered offline to SVG (vl-convert).

Reports inline the SVG; the dashboard sends the specification and draws it in the browser
with the vega-embed bundle it serves itself (``catherd.web.assets``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import altair as alt
import vl_convert

from catherd.metrics.base import WHOLE, Metric

PALETTE = ["#2f6f8f", "#e07a3f", "#6a9f58", "#b05a7a", "#8c7ab8"]
Spec = dict[str, Any]  # a vega-lite specification
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _base(rows: list[dict[str, Any]], title: str) -> alt.Chart:
    return alt.Chart(alt.Data(values=rows), title=alt.Title(title, anchor="start", fontSize=14))


def _configure(chart: alt.Chart | alt.LayerChart, height: int = 220) -> alt.Chart | alt.LayerChart:
    return (
        chart.properties(width=620, height=height)
        .configure(font=_FONT)
        .configure_view(stroke=None)
        .configure_axis(
            grid=True, gridColor="#e8e8e8", domainColor="#999", labelColor="#444", titleColor="#444"
        )
        .configure_legend(orient="top", title=None, labelColor="#444")
    )


def line_chart(
    rows: list[dict[str, Any]],
    x: str,
    series: dict[str, str],
    title: str,
    y_title: str,
    percent: bool = False,
    by: str | None = None,
) -> Spec:
    """Lines over periods: ``series`` maps a column to its legend label.

    A missing value (``None``) breaks its line instead of joining its neighbours. With ``by``
    (the period), the axis names periods as people do, and the current period, not over
    yet, is drawn dashed with hollow points instead of looking like a drop.
    """
    long = [
        {x: row[x], "series": label, "column": column, "value": row.get(column)}
        for row in rows
        for column, label in series.items()
    ]
    return _lines(long, x, list(series.values()), title, y_title, percent, by)


def metric_chart(metric: Metric, rows: list[dict[str, Any]], by: str) -> Spec | None:
    """A registered metric's chart: its declared headline columns in its declared unit, one
    line per value of its split column (issues and pull requests apart). None for metrics
    that are tables (per person) or a single period."""
    headline = metric.headline
    if headline is None or not rows or "period" not in rows[0] or by == WHOLE:
        return None
    long = []
    for row in rows:
        for column in headline.columns:
            label = column.replace("_", " ")
            if headline.split:
                label = f"{label} ({_plural(str(row[headline.split]))})"
            long.append({"period": row["period"], "series": label, "column": column,
                         "value": row.get(column)})  # fmt: skip
    order = list(dict.fromkeys(r["series"] for r in long))
    return _lines(long, "period", order, metric.title, headline.unit, headline.percent, by)


def _plural(kind: str) -> str:
    return {"issue": "issues", "pull_request": "pull requests"}.get(kind, kind.replace("_", " "))


_AXIS_FORMATS = {"month": "%b %Y", "quarter": "Q%q %Y", "year": "%Y"}
# ticks on period starts only: weekly ticks would print "Mar 2012" four times
_AXIS_TICKS = {"month": "month", "quarter": {"interval": "month", "step": 3}, "year": "year"}


def current_period(by: str, today: date | None = None) -> date:
    """The first day of the period (month, quarter, year) today is in."""
    today = today or datetime.now(UTC).date()
    month = {"month": today.month, "quarter": 3 * ((today.month - 1) // 3) + 1, "year": 1}[by]
    return date(today.year, month, 1)


def _time_axis(by: str | None, periods: list[str]) -> Any:
    """Periods named as people do; over more than four years, months and quarters are
    labelled by year alone, as "Q1 2006Q1 2007" labels would touch."""
    if by not in _AXIS_FORMATS:
        return alt.Undefined
    years = int(periods[-1][:4]) - int(periods[0][:4]) if periods else 0
    if by != "year" and years > 4:
        label, ticks = "%Y", _AXIS_TICKS["year"]
    else:
        label, ticks = _AXIS_FORMATS[by], _AXIS_TICKS[by]
    return alt.Axis(format=label, tickCount=ticks, labelOverlap=True, labelSeparation=6)


def _lines(
    long: list[dict[str, Any]], x: str, order: list[str], title: str, y_title: str,
    percent: bool, by: str | None,
) -> Spec:  # fmt: skip
    periods = sorted({str(row[x]) for row in long})
    time_axis = _time_axis(by, periods)
    tooltip_x = alt.Tooltip(f"{x}:T", format=_AXIS_FORMATS[by]) if by in _AXIS_FORMATS else (
        alt.Tooltip(f"{x}:T"))  # fmt: skip
    y_axis = alt.Axis(format="%") if percent else alt.Axis(tickMinStep=1)

    def layer(values: list[dict[str, Any]], dashed: bool) -> alt.Chart:
        point = alt.OverlayMarkDef(size=18, filled=not dashed)
        return (
            _base(values, title)
            .mark_line(
                point=point,
                strokeWidth=2,
                invalid="break-paths-show-domains",
                strokeDash=[5, 4] if dashed else alt.Undefined,
            )
            .encode(
                x=alt.X(f"{x}:T", title=None, axis=time_axis),
                # shares run from 0 to 100% whatever the data: a flat 0% must look like nothing
                y=alt.Y(
                    "value:Q",
                    title=y_title,
                    axis=y_axis,
                    scale=alt.Scale(domain=[0, 1]) if percent else alt.Undefined,
                ),
                color=alt.Color("series:N", scale=alt.Scale(range=PALETTE), sort=order),
                tooltip=[tooltip_x, "series:N", "value:Q"],
            )
        )

    partial = current_period(by).isoformat() if by in _AXIS_FORMATS else None
    if partial is None or not periods or periods[-1] < partial:
        return _spec(layer(long, dashed=False))
    # the period not over yet: dashed from the last complete one, hollow point
    done = [row for row in long if str(row[x]) < partial]
    before = max((str(row[x]) for row in done), default=partial)
    tail = [row for row in long if str(row[x]) >= before]
    return _spec(alt.layer(layer(done, dashed=False), layer(tail, dashed=True)))


def bar_chart(rows: list[dict[str, Any]], x: str, y: str, title: str, y_title: str) -> Spec:
    chart = (
        _base(rows, title)
        .mark_bar(color=PALETTE[0])
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", title=y_title),
            tooltip=[alt.Tooltip(f"{x}:T"), f"{y}:Q"],
        )
    )
    return _spec(chart)


def stacked_bars(
    rows: list[dict[str, Any]], category: str, value: str, stack: str, title: str, x_title: str
) -> Spec:
    """Horizontal bars, one per ``category``, stacked by ``stack``."""
    chart = (
        _base(rows, title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", title=None, sort="-x"),
            x=alt.X(f"sum({value}):Q", title=x_title),
            color=alt.Color(
                f"{stack}:N", scale=alt.Scale(range=[*PALETTE, "#c9a227", "#5b8e7d", "#7a7a7a"])
            ),
            tooltip=[f"{category}:N", f"{stack}:N", f"{value}:Q"],
        )
    )
    return _spec(chart, height=36 * len({row[category] for row in rows}) + 20)


def ordered_bars(
    rows: list[dict[str, Any]], category: str, value: str, title: str, x_title: str
) -> Spec:
    """Horizontal bars, one per ``category``, in the rows' order (a funnel's stages)."""
    chart = (
        _base(rows, title)
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y(f"{category}:N", title=None, sort=None),
            x=alt.X(f"{value}:Q", title=x_title, axis=alt.Axis(tickMinStep=1)),
            tooltip=[f"{category}:N", f"{value}:Q"],
        )
    )
    return _spec(chart, height=36 * len(rows) + 20)


def grouped_bars(
    rows: list[dict[str, Any]], x: str, value: str, group: str, title: str, y_title: str,
    percent: bool = False,
) -> Spec:  # fmt: skip
    """Vertical bars of ``value`` for each ``x`` (in the rows' order), side by side by
    ``group``; shares run from 0 to 100%."""
    axis = alt.Axis(format="%") if percent else alt.Axis(tickMinStep=1)
    chart = (
        _base(rows, title)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(f"{group}:N", sort=None),
            y=alt.Y(f"{value}:Q", title=y_title, axis=axis,
                    scale=alt.Scale(domain=[0, 1]) if percent else alt.Undefined),
            color=alt.Color(f"{group}:N", scale=alt.Scale(range=PALETTE), sort=None),
            tooltip=[f"{x}:N", f"{group}:N", alt.Tooltip(f"{value}:Q",
                                                         format=".0%" if percent else "")],
        )
    )  # fmt: skip
    return _spec(chart)


def _spec(chart: alt.Chart | alt.LayerChart, height: int = 220) -> Spec:
    # the specifications are fixed in code and drawn in the tests: validating each costs ~50 ms
    spec: Spec = _configure(chart, height).to_dict(validate=False)
    return spec


def fit_to_page(spec: Spec) -> Spec:
    """The chart as wide as the element it is drawn in (in a browser; SVG needs a width)."""
    return {**spec, "width": "container", "autosize": {"type": "fit-x", "contains": "padding"}}


def to_svg(spec: Spec) -> str:
    """Render a chart specification to SVG text without any network access."""
    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg
