"""The charts' scales and labels."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from botkit.web.chart import (
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    Series,
    bar_chart,
    line_chart,
    nice_top,
    scaled,
)

DAYS = [f"2024-06-{d:02d}" for d in range(1, 31)]


@given(st.integers(min_value=0, max_value=10**12))
def test_the_axis_top_is_a_round_number_above_every_value(value: int) -> None:
    top = nice_top(value)
    assert top >= max(value, 1)
    assert re.fullmatch(r"[125]0*", str(top))


def test_every_bar_has_its_day_and_value() -> None:
    svg = bar_chart("Messages per day", "messages", list(zip(DAYS, range(30), strict=True)), "m")
    assert svg.count("<rect") == 30
    assert "<title>2024-06-30: 29 messages</title>" in svg


def test_day_labels_are_weekly_and_end_on_the_last_day() -> None:
    svg = bar_chart("Messages per day", "messages", [(d, 1) for d in DAYS], "m")
    labels = re.findall(r'text-anchor="middle">(\d\d-\d\d)</text>', svg)
    assert labels == ["06-02", "06-09", "06-16", "06-23", "06-30"]


def test_the_summary_names_the_total_and_the_busiest_day() -> None:
    svg = bar_chart("Tokens per day", "tokens", [(DAYS[0], 5), (DAYS[1], 1200)], "t")
    assert "1,205 tokens from 2024-06-01 to 2024-06-02; the highest day 2024-06-02 (1,200)." in svg


points = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10**6),
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
    unique_by=lambda p: p[0],
).map(lambda found: tuple(sorted((float(x), y) for x, y in found)))


@given(points)
def test_every_point_of_a_line_chart_is_inside_the_plot(found) -> None:
    for x, y in scaled(Series("t", "step", "loss", found)):
        assert LEFT - 1e-6 <= x <= WIDTH - RIGHT + 1e-6
        assert TOP - 1e-6 <= y <= HEIGHT - BOTTOM + 1e-6


def test_a_line_chart_names_its_title_axes_and_ends() -> None:
    svg = line_chart(Series("Loss <of> job", "step", "training loss", ((1, 2.5), (3, 0.5))), "l")
    assert '<title id="l-t">Loss &lt;of&gt; job</title>' in svg
    assert '<desc id="l-d">2 points; training loss 2.5 at step 1, 0.5 at 3.</desc>' in svg
    assert ">step</text>" in svg and ">training loss</text>" in svg
    assert svg.count("<polyline") == 1
