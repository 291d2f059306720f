"""The SVG chart: bars scaled to the largest row, segments in standing order, counts in words,
text escaped, no inline styles."""

import re

from performance.charts import BAR_WIDTH, BAR_X, standing_chart


def _rects(svg: str) -> list[tuple[int, int, str]]:
    return [(int(x), int(w), fill) for x, w, fill in re.findall(
        r'<rect x="(\d+)" y="\d+" width="(\d+)" height="20" fill="(#[0-9a-f]{6})"', svg)]


def test_bars_are_scaled_to_the_largest_row_and_stacked_in_order():
    svg = str(standing_chart([
        {"label": "London", "green": 2, "amber": 1, "red": 1, "none": 0, "total": 4},
        {"label": "North West", "green": 0, "amber": 0, "red": 1, "none": 1, "total": 2},
        {"label": "Empty", "green": 0, "amber": 0, "red": 0, "none": 0, "total": 0},
    ], title="Standing", description="All of it."))
    half = BAR_WIDTH // 2
    quarter = BAR_WIDTH // 4
    assert _rects(svg) == [
        (BAR_X, half, "#00703c"), (BAR_X + half, quarter, "#f47738"),
        (BAR_X + half + quarter, quarter, "#d4351c"),
        (BAR_X, quarter, "#d4351c"), (BAR_X + quarter, quarter, "#b1b4b6"),
    ]
    assert "2 on track, 1 at risk, 1 off track</text>" in svg
    assert "1 off track, 1 no return yet</text>" in svg
    assert "no targets</text>" in svg
    assert "style=" not in svg


def test_labels_are_escaped_and_the_chart_is_named():
    svg = str(standing_chart([{"label": "<b>A&B</b>", "green": 1, "amber": 0, "red": 0, "none": 0,
                               "total": 1}], title="T <x>", description="D & d", id_prefix="c1"))
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">T &lt;x&gt;</title><desc id="c1-desc">D &amp; d</desc>' in svg
