"""Presentation helpers: TeX as HTML, trending numbers, the upvote sparkline.

How TeX is read is pinned in tests/domain/test_tex.py; here, how its pieces become HTML (escaped,
with <sup>/<sub> only). Dates, excerpts, authors and links are pinned in
tests/web/test_pages_papers.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from hypothesis import given, settings
from markupsafe import Markup

from paperboard.domain.tex import tex_plain
from paperboard.web.render.format import (
    format_hours,
    format_number,
    format_score,
    highlight_spans,
    render_tex,
    tex_excerpt,
)
from paperboard.web.render.svg import draws_a_line, sparkline_svg
from tests.domain.test_tex import tex_sources

TAG = re.compile(r"<(/?)(sup|sub)>|<")


@pytest.mark.parametrize(
    ("tex", "html"),
    [
        # 2503.18085: script pieces become <sub>/<sup>, digits Unicode
        ("from $x_t$ to $x_{t-1}$, $O(n^2)$", "from x<sub>t</sub> to x<sub>t-1</sub>, O(n²)"),
        # 2503.23509, 2503.23503: text from TeX is escaped, never HTML
        ("achieves 60.43 \\(\\mathcal{J}\\&\\mathcal{F}\\) on", "achieves 60.43 J&amp;F on"),
        (
            "system-level XML $...\\texttt{<tool>} ... \\texttt{</tool>}...$ tags",
            "system-level XML ...&lt;tool&gt; ... &lt;/tool&gt;... tags",
        ),
        ("plain text, nothing to do", "plain text, nothing to do"),
        # Past the reader's limits: the source as written, escaped.
        ("$<b>" + "{" * 40 + "$", "$&lt;b&gt;" + "{" * 40 + "$"),
    ],
)
def test_render_tex(tex: str, html: str) -> None:
    rendered = render_tex(tex)
    assert isinstance(rendered, Markup)
    assert str(rendered) == html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "$<script>alert(1)</script>$",
        "\\textbf{<img src=x onerror=alert(1)>}",
        "$x^{<b>}$ and $x_{\"'&}$",
        "\\href{javascript:alert(1)}{click}",
        "$\\frac{<a>}{<b>}$ \\sqrt{<i>}",
    ],
)
def test_render_tex_is_always_escaped(hostile: str) -> None:
    html = str(render_tex(hostile))
    # The only tags in the output are the <sup>/<sub> the renderer adds: no href, no script.
    assert set(re.findall(r"<(?:/)?([^>]*)>", html)) <= {"sup", "sub"}
    assert "<script" not in html and "<img" not in html and "<a" not in html


def test_render_tex_empty() -> None:
    assert render_tex("") == Markup("")
    assert render_tex(None) == Markup("")


@settings(max_examples=200, deadline=None)
@given(tex_sources)
def test_any_source_renders_as_escaped_text_with_balanced_sup_and_sub(source: str) -> None:
    rendered = str(render_tex(source))
    depth = 0
    for match in TAG.finditer(rendered):
        assert match.group(2), f"a raw '<' in {rendered[:200]!r}"
        depth += -1 if match.group(1) else 1
        assert depth in (0, 1)
    assert depth == 0
    # What a reader sees is the plain text that feeds and mail get.
    assert unescape(re.sub(r"</?su[pb]>", "", rendered)) == tex_plain(source)


def test_tex_excerpt_cuts_by_what_is_shown() -> None:
    # 200 characters of TeX source that show as far fewer: nothing is cut.
    source = "Speed-up of " + " ".join(["$10\\times$"] * 15) + " overall."
    shown = tex_excerpt(source, 60)
    assert str(shown).startswith("Speed-up of 10× 10× 10×")
    assert str(shown).endswith("…")
    assert "\\times" not in str(shown)
    # A cut never splits a <sub> tag, and the result is reflowed.
    long_text = "Word\nwrapped " * 30 + "$x_{t-1}$ end"
    cut = str(tex_excerpt(long_text, 300))
    assert "\n" not in cut
    assert cut.count("<sub>") == cut.count("</sub>")
    assert str(tex_excerpt("Short $\\alpha$ text.")) == "Short α text."
    assert tex_excerpt(None) == Markup("")


@pytest.mark.parametrize(
    ("value", "text"), [(1.0, "1"), (0.8, "0.8"), (2.0, "2"), (1.8, "1.8"), (7.0, "7")]
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("score", "text"), [(8.8873, "8.89"), (0.37584, "0.376"), (0.0193312, "0.0193"), (12.0, "12")]
)
def test_format_score(score: float, text: str) -> None:
    assert format_score(score) == text


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0.0, "0 min"),
        (0.5, "30 min"),
        (-0.1, "0 min"),
        (1.0, "1 h"),
        (23.9, "23 h"),
        (24.0, "1 d"),
        (27.5, "1 d 3 h"),
        (168.0, "7 d"),
    ],
)
def test_format_hours(hours: float, text: str) -> None:
    assert format_hours(hours) == text


# --- the upvote sparkline ---------------------------------------------------------------------

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
_OPEN = (
    '<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="120" height="32" '
    'viewBox="0 0 120 32" role="img" aria-label="Upvotes over time: {0} to {1}">'
)
_LINE = (
    '<polyline points="{0}" fill="none" stroke="currentColor" stroke-width="1.5" '
    'stroke-linejoin="round" stroke-linecap="round"/>'
)
_DOT = '<circle cx="{0}" cy="{1}" r="2" fill="currentColor"/></svg>'


@pytest.mark.parametrize(
    ("points", "svg"),
    [
        ([], ""),
        # One point: a dot in the middle.
        ([(T0, 4)], _OPEN.format(4, 4) + _DOT.format(60, 16)),
        # Time on x (proportional), counts on y (top is the highest).
        (
            [(T0, 0), (T0 + HOUR, 5), (T0 + 3 * HOUR, 10)],
            _OPEN.format(0, 10) + _LINE.format("3,29 41,16 117,3") + _DOT.format(117, 3),
        ),
        # Given out of order: drawn in time order.
        (
            [(T0 + 2 * HOUR, 2), (T0, 0)],
            _OPEN.format(0, 2) + _LINE.format("3,29 117,3") + _DOT.format(117, 3),
        ),
        # A flat series runs across the middle.
        (
            [(T0, 7), (T0 + HOUR, 7)],
            _OPEN.format(7, 7) + _LINE.format("3,16 117,16") + _DOT.format(117, 16),
        ),
        # Several counts at one instant: no line, the latest count's dot.
        ([(T0, 1), (T0, 3)], _OPEN.format(1, 3) + _DOT.format(117, 3)),
    ],
)
def test_sparkline_svg(points: list[tuple[datetime, int]], svg: str) -> None:
    assert sparkline_svg(points) == svg


@pytest.mark.parametrize(
    ("points", "line"),
    [
        ([], False),
        ([(T0, 4)], False),
        ([(T0, 1), (T0, 3)], False),
        ([(T0, 1), (T0 + HOUR, 1)], True),
    ],
)
def test_a_sparkline_draws_a_line_when_its_points_span_time(
    points: list[tuple[datetime, int]], line: bool
) -> None:
    assert draws_a_line(points) is line
    assert ("<polyline" in sparkline_svg(points)) is line


def test_sparkline_svg_size_and_fractions() -> None:
    svg = sparkline_svg([(T0, 0), (T0 + 3 * HOUR, 1), (T0 + 7 * HOUR, 3)], width=200, height=40)
    assert 'width="200" height="40" viewBox="0 0 200 40"' in svg
    # x: 3 + 194 * 3/7 = 86.1; y: 3 + 34 * (3-1)/3 = 25.7
    assert 'points="3,37 86.1,25.7 197,3"' in svg


def test_highlight_marks_the_spans_and_escapes_the_rest() -> None:
    text = "Speculative <b>decoding</b> & drafts"
    marked = str(highlight_spans(text, [(0, 11), (15, 23)]))
    assert marked == (
        "<mark>Speculative</mark> &lt;b&gt;<mark>decoding</mark>&lt;/b&gt; &amp; drafts"
    )


def test_highlight_ignores_spans_that_do_not_fit() -> None:
    assert str(highlight_spans("short", [(2, 1), (3, 99)])) == "short"


def test_highlight_renders_tex_without_marks() -> None:
    text = "Speed-ups of $10\\times$"
    assert highlight_spans(text, [(0, 5)]) == render_tex(text)
