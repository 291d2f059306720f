"""A server-rendered SVG chart of targets by standing (on track, at risk, off track, no return
yet), one stacked bar per row (region or theme).

No JavaScript and no `style` attributes (the CSP forbids inline styles): colours are SVG
presentation attributes. The chart is an image (`role="img"`, with a title and a description
that give the totals); the table beside it on the page holds the same figures as text. Colour
never carries meaning alone: every segment has a dark outline (3:1 against white, WCAG 1.4.11)
and every bar is followed by its counts in words.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .selectors import NO_RETURN, STANDING_LABELS, STANDINGS

# GOV.UK Design System colours: green, orange, red, and mid grey for no return yet.
FILL = {"green": "#00703c", "amber": "#f47738", "red": "#d4351c", NO_RETURN: "#b1b4b6"}
OUTLINE = "#0b0c0c"
TEXT = "#0b0c0c"

WIDTH = 1000
LABEL_WIDTH = 190
BAR_X = LABEL_WIDTH + 10
BAR_WIDTH = 340
COUNTS_X = BAR_X + BAR_WIDTH + 12
ROW_HEIGHT = 32
BAR_HEIGHT = 20
TOP = 46


def _scaled(value: int, maximum: int) -> int:
    return 0 if maximum <= 0 else (value * BAR_WIDTH + maximum // 2) // maximum


def _counts_text(row: dict) -> str:
    parts = [f"{row[s]} {STANDING_LABELS[s].lower()}" for s in STANDINGS if row[s]]
    return ", ".join(parts) if parts else "no targets"


def standing_chart(rows: list[dict], *, title: str, description: str,
                   id_prefix: str = "standing-chart") -> SafeString:
    """`rows` are dicts with a `label`, a `total` and a count for each standing."""
    maximum = max((r["total"] for r in rows), default=0)
    height = TOP + ROW_HEIGHT * len(rows) + 10
    legend = []
    x = BAR_X
    for standing in STANDINGS:
        legend.append(format_html(
            '<rect x="{}" y="8" width="14" height="14" fill="{}" stroke="{}" stroke-width="1"/>'
            '<text x="{}" y="20" font-size="16" fill="{}">{}</text>',
            x, FILL[standing], OUTLINE, x + 20, TEXT, STANDING_LABELS[standing],
        ))
        x += 20 + 9 * len(STANDING_LABELS[standing]) + 28
    bars = []
    for n, row in enumerate(rows):
        y = TOP + n * ROW_HEIGHT
        segments = []
        start = BAR_X
        for standing in STANDINGS:
            width = _scaled(row[standing], maximum)
            if width:
                segments.append(format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" '
                    'stroke-width="1"/>', start, y, width, BAR_HEIGHT, FILL[standing], OUTLINE))
            start += width
        bars.append(format_html(
            '<g><text x="{}" y="{}" font-size="16" text-anchor="end" fill="{}">{}</text>{}'
            '<text x="{}" y="{}" font-size="16" fill="{}">{}</text></g>',
            LABEL_WIDTH, y + 14, TEXT, row["label"], SafeString("".join(segments)),
            COUNTS_X, y + 14, TEXT, _counts_text(row),
        ))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {} {}" width="100%" '
        'role="img" aria-labelledby="{}-title {}-desc" focusable="false" '
        'font-family="GDS Transport, arial, sans-serif">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}</svg>',
        WIDTH, height, id_prefix, id_prefix, id_prefix, title, id_prefix, description,
        format_html_join("", "{}", ((item,) for item in legend)),
        format_html_join("", "{}", ((bar,) for bar in bars)),
    )
