"""Bar charts drawn on the server as SVG: a title, both axes labelled, every bar titled, so
they read without JavaScript (and a screen reader hears the title and the summary)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import attrs

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 36, 48


def nice_top(value: int) -> int:
    """The axis' top: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(title: str, unit: str, points: Sequence[tuple[str, int]], chart_id: str) -> str:
    """An SVG bar chart of (day ``YYYY-MM-DD``, value) pairs, oldest first."""
    top = nice_top(max((v for _, v in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    total = sum(v for _, v in points)
    first, last = (points[0][0], points[-1][0]) if points else ("", "")
    summary = f"{total:,} {unit} from {first} to {last}; the highest day {max_day(points)}."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(summary)}</desc>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" class="ct">{escape(title)}</text>',
    ]
    for tick in (0, top // 2 if top >= 2 else 0, top):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    for i, (day, value) in enumerate(points):
        h = plot_h * value / top
        x = LEFT + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}"><title>{day}: {value:,} {escape(unit)}</title></rect>'
        )
        if (len(points) - 1 - i) % 7 == 0:  # weekly, ending on the last day
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{TOP + plot_h + 16}" '
                f'text-anchor="middle">{day[5:]}</text>'
            )
    parts += [
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'class="axis"/>',
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">day (UTC)</text>',
        f'<text x="14" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2})">{escape(unit)}</text>',
        "</svg>",
    ]
    return "".join(parts)


def max_day(points: Sequence[tuple[str, int]]) -> str:
    if not points:
        return "none"
    day, value = max(points, key=lambda p: p[1])
    return f"{day} ({value:,})" if value else "none"


@attrs.frozen
class Series:
    """What a line chart draws: (x, y) points in x order, and the words around them."""

    title: str
    x_label: str
    y_label: str
    points: tuple[tuple[float, float], ...]


def scaled(series: Series, width: int = WIDTH, height: int = HEIGHT) -> list[tuple[float, float]]:
    """The points of ``series`` in the plot's pixel coordinates (SVG and PNG draw the same)."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    xs = [x for x, _ in series.points] or [0.0]
    y_top = y_axis_top(series)
    x_lo, x_hi = min(xs), max(xs)
    span = (x_hi - x_lo) or 1.0
    return [
        (LEFT + plot_w * (x - x_lo) / span, TOP + plot_h - plot_h * max(y, 0.0) / y_top)
        for x, y in series.points
    ]


def y_axis_top(series: Series) -> float:
    """The y axis' top: the highest value rounded up to 1, 2 or 5 times a power of ten (1 when
    every value is below 1e-12, so the scale never underflows)."""
    top = max((y for _, y in series.points), default=0.0)
    if top < 1e-12:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    return next(step * power for step in (1, 2, 5, 10) if top <= step * power)


def line_chart(series: Series, chart_id: str) -> str:
    """An SVG line chart of ``series``, with its title, both axes labelled and a summary."""
    plot_h = HEIGHT - TOP - BOTTOM
    top = y_axis_top(series)
    pts = scaled(series)
    if series.points:
        (x0, y0), (x1, y1) = series.points[0], series.points[-1]
        summary = (
            f"{len(series.points)} points; {series.y_label} {y0:g} at {series.x_label} {x0:g}, "
            f"{y1:g} at {x1:g}."
        )
    else:
        summary = "No points."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
        f'<title id="{chart_id}-t">{escape(series.title)}</title>',
        f'<desc id="{chart_id}-d">{escape(summary)}</desc>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" class="ct">'
        f"{escape(series.title)}</text>",
    ]
    for tick in (0.0, top / 2, top):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    if pts:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(f'<polyline points="{path}" class="line"/>')
        xs = [x for x, _ in series.points]
        for value, (px, _) in ((xs[0], pts[0]), (xs[-1], pts[-1])):
            parts.append(
                f'<text x="{px:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{value:g}</text>'
            )
    parts += [
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'class="axis"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(series.x_label)}</text>",
        f'<text x="14" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2})">{escape(series.y_label)}</text>',
        "</svg>",
    ]
    return "".join(parts)
