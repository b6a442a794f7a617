"""Bar charts drawn on the server as SVG: a title, both axes labelled, every bar titled, so
they read without JavaScript (and a screen reader hears the title and the summary)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

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
