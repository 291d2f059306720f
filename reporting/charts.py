"""A server-rendered SVG bar chart of released against held money by region.

No JavaScript and no inline styles (the CSP forbids `style` attributes): colours and type are SVG
presentation attributes. The chart is an image (`role="img"` with a title and a description);
the table of the same figures beside it on the page is its text alternative.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# GOV.UK Design System colours: blue for released, dark grey for held. Both have at least 3:1
# contrast with the white background (WCAG 1.4.11); a white gap separates the two parts.
RELEASED_COLOUR = "#1d70b8"
HELD_COLOUR = "#505a5f"
TEXT_COLOUR = "#0b0c0c"

WIDTH = 760
LABEL_WIDTH = 200
BAR_X = LABEL_WIDTH + 10
BAR_WIDTH = 330
VALUE_X = BAR_X + BAR_WIDTH + 10
ROW_HEIGHT = 30
BAR_HEIGHT = 18
TOP = 40


@dataclass(frozen=True)
class Bar:
    label: str
    released_pence: int
    held_pence: int


def short_pounds(pence: int) -> str:
    """£28.5m, £850k, £0: readable at a glance; the table has the exact figures."""
    pounds = int(pence) // 100
    if pounds >= 1_000_000:
        tenths = (pounds + 50_000) // 100_000
        return f"£{tenths // 10}.{tenths % 10}m"
    if pounds >= 1_000:
        return f"£{(pounds + 500) // 1000}k"
    return f"£{pounds}"


def _scaled(value: int, maximum: int) -> int:
    return 0 if maximum <= 0 else (value * BAR_WIDTH + maximum // 2) // maximum


def released_held_chart(bars: list[Bar], *, title: str, description: str,
                        id_prefix: str = "region-chart") -> SafeString:
    """Horizontal bars, one per region: the released part then the held part, scaled to the
    largest region's total, each labelled with both amounts."""
    maximum = max((b.released_pence + b.held_pence for b in bars), default=0)
    height = TOP + ROW_HEIGHT * len(bars) + 10
    rows = []
    for n, bar in enumerate(bars):
        y = TOP + n * ROW_HEIGHT
        released = _scaled(bar.released_pence, maximum)
        held = _scaled(bar.released_pence + bar.held_pence, maximum) - released
        rows.append(format_html(
            '<g><text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
            '<text x="{}" y="{}" fill="{}">{} released, {} held</text></g>',
            LABEL_WIDTH, y + 14, TEXT_COLOUR, bar.label,
            BAR_X, y, released, BAR_HEIGHT, RELEASED_COLOUR,
            BAR_X + released + (1 if held and released else 0), y,
            max(held - (1 if held and released else 0), 0), BAR_HEIGHT, HELD_COLOUR,
            VALUE_X, y + 14, TEXT_COLOUR, short_pounds(bar.released_pence),
            short_pounds(bar.held_pence),
        ))
    legend = format_html(
        '<g><rect x="{}" y="8" width="14" height="14" fill="{}"></rect>'
        '<text x="{}" y="20" fill="{}">Released</text>'
        '<rect x="{}" y="8" width="14" height="14" fill="{}"></rect>'
        '<text x="{}" y="20" fill="{}">Held</text></g>',
        BAR_X, RELEASED_COLOUR, BAR_X + 20, TEXT_COLOUR,
        BAR_X + 110, HELD_COLOUR, BAR_X + 130, TEXT_COLOUR,
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {} {}" '
        'width="100%" role="img" aria-labelledby="{}-title {}-desc" focusable="false" '
        'font-family="arial, sans-serif" font-size="14">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}</svg>',
        WIDTH, height, id_prefix, id_prefix, id_prefix, title, id_prefix, description, legend,
        format_html_join("", "{}", ((row,) for row in rows)),
    )
