"""Charts as vega-lite specifications (altair), rendered offline to SVG (vl-convert).

Reports inline the SVG; the dashboard sends the specification and draws it in the browser
with the vega-embed bundle it serves itself (``catherd.web.assets``).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert

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
) -> Spec:
    """Lines over periods: ``series`` maps a column to its legend label.

    A missing value (``None``) breaks its line instead of joining its neighbours.
    """
    long = [
        {x: row[x], "series": label, "value": row.get(column)}
        for row in rows
        for column, label in series.items()
    ]
    axis = alt.Axis(format="%") if percent else alt.Axis(tickMinStep=1)
    chart = (
        _base(long, title)
        .mark_line(
            point=alt.OverlayMarkDef(size=18), strokeWidth=2, invalid="break-paths-show-domains"
        )
        .encode(
            x=alt.X(f"{x}:T", title=None),
            # shares run from 0 to 100% whatever the data: a flat 0% must look like nothing done
            y=alt.Y(
                "value:Q",
                title=y_title,
                axis=axis,
                scale=alt.Scale(domain=[0, 1]) if percent else alt.Undefined,
            ),
            color=alt.Color("series:N", scale=alt.Scale(range=PALETTE), sort=list(series.values())),
            tooltip=[alt.Tooltip(f"{x}:T"), "series:N", "value:Q"],
        )
    )
    return _spec(chart)


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


def _spec(chart: alt.Chart, height: int = 220) -> Spec:
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
