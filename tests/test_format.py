"""Presentation helpers: TeX in titles and abstracts, trending numbers, the upvote sparkline.

The TeX table uses passages of real abstracts from the shared 88,864-paper arXiv sample (their
ids in the comments). Dates, excerpts, authors and links are pinned in tests/test_web.py.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import Markup

from paperboard.web.format import (
    format_hours,
    format_number,
    format_score,
    render_tex,
    tex_excerpt,
    tex_plain,
)
from paperboard.web.svg import sparkline_svg
from tests.conftest import SHARED_DATA

SAMPLE = SHARED_DATA / "arxiv-sample" / "papers.jsonl.gz"


@pytest.mark.parametrize(
    ("tex", "html"),
    [
        # 2503.11685
        ("throughput up to 4.64$\\times$, and", "throughput up to 4.64×, and"),
        ("with 40\\% pruning rate", "with 40% pruning rate"),
        # 2503.11945
        (
            "$99\\%$ bit accuracy ($48$ bits) with a $10^5 \\times$ reduction",
            "99% bit accuracy (48 bits) with a 10⁵ × reduction",
        ),
        # 2503.13004
        ("by up to 10$\\times$ and 9$\\times$, respectively", "by up to 10× and 9×, respectively"),
        # 2503.13778, 2503.15465
        ("reconstruction ($\\alpha = 3$) with", "reconstruction (α = 3) with"),
        ("content on PixArt-$\\alpha$, PixArt-$\\Sigma$", "content on PixArt-α, PixArt-Σ"),
        # 2503.13756, 2505.00315: superscript digits as Unicode, O(n²)
        ("in $O(L^2 \\log L)$ operations", "in O(L² log L) operations"),
        ("from $O(T^2)$ to $O(k^2 + T)$.", "from O(T²) to O(k² + T)."),
        ("$O(n^2)$ and $O(n\\log n)$", "O(n²) and O(n log n)"),
        # 2503.11780: a superscript inside a name
        ("called M$^2$D-LIF, which", "called M²D-LIF, which"),
        # 2503.13896, 2504.08907: degrees
        ("below 0.3m and 0.5$^{\\circ}$ sufficient", "below 0.3m and 0.5° sufficient"),
        ("the 88.52$^\\circ$ median error", "the 88.52° median error"),
        # 2503.18085, 2503.18137: subscripts (digits as Unicode, letters in <sub>)
        ("the tempeval $F_1$ score", "the tempeval F₁ score"),
        ("from $x_t$ to $x_{t-1}$,", "from x<sub>t</sub> to x<sub>t-1</sub>,"),
        # 2504.13118: \mathrm inside a subscript, a relation
        (
            "fraction ($f_{\\mathrm{gas}} \\gtrsim 0.9$), with",
            "fraction (f<sub>gas</sub> ≳ 0.9), with",
        ),
        # 2504.11800: {\rm ...} and a tie inside math
        (
            "of approximately $10^{11}~{\\rm M_{\\odot}}$ could",
            "of approximately 10¹¹ M<sub>⊙</sub> could",
        ),
        # 2503.14615, 2503.12840: text markup keeps its words
        ("to a \\emph{strictly weaker} fragment", "to a strictly weaker fragment"),
        ("audio natures, \\emph{\\ie}, (1) feature", "audio natures, i.e., (1) feature"),
        ("we propose \\textbf{Personalize Anything}, a", "we propose Personalize Anything, a"),
        # 2503.12821: bold letters inside math spelling a name
        ("an $\\textbf{A}$daptive $\\textbf{D}$ata", "an Adaptive Data"),
        ("introduce \\textsc{AlignX}, a", "introduce AlignX, a"),
        # 2503.15426: \sim before a number
        ("larger datasets ($\\sim$21M samples)", "larger datasets (∼21M samples)"),
        # 2503.12087, 2503.14395: ± with the author's spacing
        ("error of 1.81 $\\pm$ 0.14 mm", "error of 1.81 ± 0.14 mm"),
        ("DSC was $0.93 \\pm 0.05$, MSD", "DSC was 0.93 ± 0.05, MSD"),
        # 2504.00702, 2506.01189: blackboard bold, arrows
        ("from position space $\\mathbb{R}^2$ to", "from position space ℝ² to"),
        (
            "functions $h:\\mathbb{R}^n \\times S^{n-1} \\to \\mathbb{R}$.",
            "functions h:ℝⁿ × Sⁿ⁻¹ → ℝ.",
        ),
        # 2505.23898, 2505.15624: fractions
        ("of change, $\\frac{ds}{dt},$ and", "of change, ds/dt, and"),
        (
            "ratio, \\(\\frac{\\eta_E}{\\eta_W} \\propto x\\)",
            "ratio, η<sub>E</sub>/η<sub>W</sub> ∝ x",
        ),
        # 2506.22631: roots
        ("$O(T^{2/3} + \\sqrt{T}\\ln T)$", "O(T<sup>2/3</sup> + √T ln T)"),
        # 2503.12418, 2503.13130: links keep their text (and are not links)
        (
            "Code is available at \\href{https://github.com/a/causal-imt}{https://github.com/a/causal-imt}.",
            "Code is available at https://github.com/a/causal-imt.",
        ),
        (
            "Code is available \\href{https://github.com/q/ChainHOI}{here}.",
            "Code is available here.",
        ),
        # 2503.12496: TeX quotes
        ("due to the ``Sampling Dilemma'': low", "due to the “Sampling Dilemma”: low"),
        # 2503.23509: \( \) math with an escaped ampersand
        ("achieves 60.43 \\(\\mathcal{J}\\&\\mathcal{F}\\) on", "achieves 60.43 J&amp;F on"),
        # 2503.23503: markup inside math is escaped, never HTML
        (
            "system-level XML $...\\texttt{<tool>} ... \\texttt{</tool>}...$ tags",
            "system-level XML ...&lt;tool&gt; ... &lt;/tool&gt;... tags",
        ),
        # Accents in names (domain/tex.py) and dashes
        ("by Bal\\'azs and M\\\"uller", "by Balázs and Müller"),
        ("pages 10--20 --- and a --flag", "pages 10–20 — and a --flag"),
        # What is not math stays as written.
        ("costs $5 a month", "costs $5 a month"),
        ("x^2 and snake_case in text", "x^2 and snake_case in text"),
        ("an unknown \\ourmethod{} macro", "an unknown \\ourmethod macro"),
        ("a trailing backslash \\", "a trailing backslash \\"),
        ("unbalanced {brace and } brace", "unbalanced brace and  brace"),
        ("$$ $$ empty math", "$$ $$ empty math"),
        ("plain text, nothing to do", "plain text, nothing to do"),
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


def test_render_tex_never_fails_on_the_sample() -> None:
    """Every title and abstract of the shared sample renders, with balanced tags only."""
    if not SAMPLE.exists():
        pytest.skip(f"arXiv sample not found at {SAMPLE}")
    tags = re.compile(r"<(/?)(sup|sub)>|<")
    checked = 0
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number % 7:  # every 7th paper: 12,695 papers, a few seconds
                continue
            record = json.loads(line)
            for text in (record["title"], record["abstract"]):
                html = str(render_tex(text))
                depth = 0
                for match in tags.finditer(html):
                    assert match.group(2), f"{record['id']}: a raw '<' in {html[:200]!r}"
                    depth += -1 if match.group(1) else 1
                    assert depth in (0, 1), record["id"]
                assert depth == 0, record["id"]
            checked += 1
    assert checked > 12_000


def test_tex_plain() -> None:
    assert tex_plain("M$^2$D: $x_{t-1}$ and 40\\%") == "M²D: xt-1 and 40%"
    assert tex_plain(None) == ""


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


def test_sparkline_svg_size_and_fractions() -> None:
    svg = sparkline_svg([(T0, 0), (T0 + 3 * HOUR, 1), (T0 + 7 * HOUR, 3)], width=200, height=40)
    assert 'width="200" height="40" viewBox="0 0 200 40"' in svg
    # x: 3 + 194 * 3/7 = 86.1; y: 3 + 34 * (3-1)/3 = 25.7
    assert 'points="3,37 86.1,25.7 197,3"' in svg


def test_highlight_marks_the_spans_and_escapes_the_rest() -> None:
    from paperboard.web.format import highlight_spans

    text = "Speculative <b>decoding</b> & drafts"
    marked = str(highlight_spans(text, [(0, 11), (15, 23)]))
    assert marked == (
        "<mark>Speculative</mark> &lt;b&gt;<mark>decoding</mark>&lt;/b&gt; &amp; drafts"
    )


def test_highlight_ignores_spans_that_do_not_fit() -> None:
    from paperboard.web.format import highlight_spans

    assert str(highlight_spans("short", [(2, 1), (3, 99)])) == "short"


def test_highlight_renders_tex_without_marks() -> None:
    from paperboard.web.format import highlight_spans, render_tex

    text = "Speed-ups of $10\\times$"
    assert highlight_spans(text, [(0, 5)]) == render_tex(text)
