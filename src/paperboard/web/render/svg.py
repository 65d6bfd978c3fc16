"""Small server-rendered charts: an upvote history as an inline SVG sparkline.

Pure functions returning SVG text: no JavaScript, nothing to download, cacheable with the page.
The output holds only numbers and fixed markup, so it is safe to mark as HTML.
"""

from __future__ import annotations

from datetime import datetime

WIDTH = 120
HEIGHT = 32
# Room for the stroke and the end dot, so neither is clipped at the edges.
PAD = 3.0


def _fmt(value: float) -> str:
    """One decimal, without a trailing ".0" or a negative zero: short, stable output."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def draws_a_line(points: list[tuple[datetime, int]]) -> bool:
    """Whether ``points`` span time, so that a sparkline of them is a line. Points at one
    moment draw only a dot, which next to the counts reads as a stray mark, not a chart."""
    return len({moment for moment, _ in points}) > 1


def sparkline_svg(
    points: list[tuple[datetime, int]], *, width: int = WIDTH, height: int = HEIGHT
) -> str:
    """An SVG line of ``(time, count)`` points, time on x and count on y ("" for no points).

    x is proportional to time (votes bunched in an hour look bunched); y spans the smallest to
    the largest count, and a flat series is drawn across the middle. A dot marks the latest
    point. Points are drawn in time order whatever order they come in.
    """
    if not points:
        return ""
    ordered = sorted(points)
    first, last = ordered[0][0], ordered[-1][0]
    span = (last - first).total_seconds()
    low = min(count for _, count in ordered)
    high = max(count for _, count in ordered)
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD

    def x(moment: datetime) -> float:
        if span == 0:
            return width / 2 if len(ordered) == 1 else PAD + inner_w
        return PAD + inner_w * (moment - first).total_seconds() / span

    def y(count: int) -> float:
        if high == low:
            return height / 2
        return PAD + inner_h * (high - count) / (high - low)

    coords = [(x(moment), y(count)) for moment, count in ordered]
    if span == 0 and len(ordered) > 1:
        # Several counts at one instant: keep the latest only, there is no line to draw.
        coords = coords[-1:]
    end_x, end_y = coords[-1]
    label = f"Upvotes over time: {ordered[0][1]} to {ordered[-1][1]}"
    parts = [
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
    ]
    if len(coords) > 1:
        path = " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="currentColor" stroke-width="1.5" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        )
    parts.append(f'<circle cx="{_fmt(end_x)}" cy="{_fmt(end_y)}" r="2" fill="currentColor"/>')
    parts.append("</svg>")
    return "".join(parts)
