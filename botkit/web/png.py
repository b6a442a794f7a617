"""The console's charts as PNG images, for chat (``!job``, ``!usage``): drawn with Pillow from
the same data and geometry as the SVG ones. CPU work: call these in a worker thread."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from botkit.web.chart import (
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    Series,
    nice_top,
    scaled,
    y_axis_top,
)

SCALE = 2  # drawn at twice the SVG's size, so it stays sharp on phones
INK, GRID, BAR = (27, 27, 27), (221, 221, 221), (11, 83, 148)


class _Canvas:
    """A white image in the SVG's coordinates, scaled by :data:`SCALE`."""

    def __init__(self, title: str, y_label: str, x_label: str) -> None:
        from PIL import Image, ImageDraw, ImageFont

        self.image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.font = ImageFont.load_default(size=11 * SCALE)
        self.bold = ImageFont.load_default(size=14 * SCALE)
        self._image, self._draw_cls = Image, ImageDraw
        self.text(WIDTH / 2, 20, title, "ms", self.bold)
        self.text(LEFT + (WIDTH - LEFT - RIGHT) / 2, HEIGHT - 8, x_label, "ms")
        self._vertical(y_label)

    def text(self, x: float, y: float, words: str, anchor: str = "ms", font: Any = None) -> None:
        self.draw.text((x * SCALE, y * SCALE), words, INK, font or self.font, anchor=anchor)

    def line(self, points: Sequence[tuple[float, float]], fill: Any, width: float = 1) -> None:
        self.draw.line([(x * SCALE, y * SCALE) for x, y in points], fill, int(width * SCALE))

    def _vertical(self, words: str) -> None:
        box = self.draw.textbbox((0, 0), words, font=self.font)
        label = self._image.new("RGB", (box[2] + 4, box[3] + 4), "white")
        self._draw_cls.Draw(label).text((2, 2), words, INK, self.font)
        turned = label.rotate(90, expand=True)
        middle = (TOP + (HEIGHT - TOP - BOTTOM) / 2) * SCALE
        self.image.paste(turned, (4 * SCALE, int(middle - turned.height / 2)))

    def grid(self, ticks: Sequence[tuple[float, str]]) -> None:
        plot_h = HEIGHT - TOP - BOTTOM
        for fraction, label in ticks:
            y = TOP + plot_h - plot_h * fraction
            self.line([(LEFT, y), (WIDTH - RIGHT, y)], GRID)
            self.text(LEFT - 6, y + 4, label, "rs")

    def axes(self) -> None:
        bottom = HEIGHT - BOTTOM
        self.line([(LEFT, TOP), (LEFT, bottom)], INK)
        self.line([(LEFT, bottom), (WIDTH - RIGHT, bottom)], INK)

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, "PNG", optimize=True)
        return out.getvalue()


def line_png(series: Series) -> bytes:
    """The PNG of :func:`botkit.web.chart.line_chart` for ``series``."""
    canvas = _Canvas(series.title, series.y_label, series.x_label)
    top = y_axis_top(series)
    canvas.grid([(0.0, "0"), (0.5, f"{top / 2:g}"), (1.0, f"{top:g}")])
    points = scaled(series)
    if len(points) > 1:
        canvas.line(points, BAR, 2)
    if points:
        for (value, _), (x, _) in ((series.points[0], points[0]), (series.points[-1], points[-1])):
            canvas.text(x, HEIGHT - BOTTOM + 16, f"{value:g}")
    canvas.axes()
    return canvas.png()


def bar_png(title: str, unit: str, points: Sequence[tuple[str, int]]) -> bytes:
    """The PNG of :func:`botkit.web.chart.bar_chart`: (day ``YYYY-MM-DD``, value), oldest
    first."""
    canvas = _Canvas(title, unit, "day (UTC)")
    top = nice_top(max((v for _, v in points), default=0))
    half = top // 2 if top >= 2 else 0
    canvas.grid([(0.0, "0"), (half / top, f"{half:,}"), (1.0, f"{top:,}")])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    for i, (day, value) in enumerate(points):
        h = plot_h * value / top
        x = LEFT + i * slot + slot * 0.15
        if h > 0:
            box = (x * SCALE, (TOP + plot_h - h) * SCALE, (x + slot * 0.7) * SCALE)
            canvas.draw.rectangle((*box, (TOP + plot_h) * SCALE), fill=BAR)
        if (len(points) - 1 - i) % 7 == 0:
            canvas.text(x + slot * 0.35, TOP + plot_h + 16, day[5:])
    canvas.axes()
    return canvas.png()
