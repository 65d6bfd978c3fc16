"""The TeX reader (domain/tex/parser.py): real passages, plain text, and its bounds.

The table uses passages of real abstracts from the shared 88,864-paper arXiv sample (their ids
in the comments), shown here with <sup>/<sub> around script pieces. The bounds (issue 14): any
input, however nested or unbalanced, gives pieces in bounded time and depth; past the limits the
source is shown as written.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paperboard.domain.tex.parser import (
    MAX_NESTING,
    MAX_TEX_CHARS,
    TexLimitExceeded,
    parse_tex,
    tex_pieces,
    tex_plain,
)
from tests.conftest import SHARED_DATA

SAMPLE = SHARED_DATA / "arxiv-sample" / "papers.jsonl.gz"


def tagged(pieces: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<{kind}>{text}</{kind}>" if kind else text for kind, text in pieces)


@pytest.mark.parametrize(
    ("tex", "shown"),
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
        ("achieves 60.43 \\(\\mathcal{J}\\&\\mathcal{F}\\) on", "achieves 60.43 J&F on"),
        # 2503.23503: markup inside math is text (the web layer escapes it)
        (
            "system-level XML $...\\texttt{<tool>} ... \\texttt{</tool>}...$ tags",
            "system-level XML ...<tool> ... </tool>... tags",
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
def test_tex_pieces(tex: str, shown: str) -> None:
    assert tagged(tex_pieces(tex)) == shown


def test_tex_plain() -> None:
    assert tex_plain("M$^2$D: $x_{t-1}$ and 40\\%") == "M²D: xt-1 and 40%"
    assert tex_plain(None) == ""
    assert tex_plain("") == ""


def test_text_without_tex_is_one_piece() -> None:
    assert tex_pieces("plain") == (("", "plain"),)
    assert tex_pieces("") == ()


def test_every_text_of_the_sample_is_read_within_the_limits() -> None:
    """No real title or abstract comes near the limits: they only ever stop hostile input."""
    if not SAMPLE.exists():
        pytest.skip(f"arXiv sample not found at {SAMPLE}")
    checked = 0
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number % 7:  # every 7th paper: 12,695 papers, a few seconds
                continue
            record = json.loads(line)
            for text in (record["title"], record["abstract"]):
                pieces = parse_tex(text)  # raises TexLimitExceeded past a limit
                assert all(kind in ("", "sup", "sub") and piece for kind, piece in pieces)
            checked += 1
    assert checked > 12_000


# --- bounds (issue 14, finding 1) ---------------------------------------------------------------

# A title from a Hugging Face daily-papers file that once raised RecursionError on every page
# listing it, and an abstract under arXiv's length limit nested 260 deep.
DEEP_TITLE = "$" + "^{" * 2000 + "x" + "}" * 2000 + "$"
DEEP_ABSTRACT = "Towers of exponents grow fast: $x" + "^{" * 260 + "y" + "}" * 260 + "$ indeed."
# Uncached, so that every call does the work a first view of the page does.
read = tex_pieces.__wrapped__


@pytest.mark.parametrize(
    "source",
    [
        DEEP_TITLE,
        DEEP_ABSTRACT,
        "{" * 5000 + "x" + "}" * 5000,
        "\\sqrt" * 3000 + "x",
        "$" + "\\frac{" * 1000 + "$",
        "\\emph{" * 3000,
        "\\(" + "\\text{$" * 1000,
    ],
)
def test_nesting_past_the_limit_shows_the_source_as_written(source: str) -> None:
    with pytest.raises(TexLimitExceeded):
        parse_tex(source)
    assert read(source) == (("", source),)


def test_nesting_up_to_the_limit_is_read() -> None:
    # A formula is one level and each braced superscript another.
    levels = MAX_NESTING - 1
    source = "$x" + "^{x" * levels + "}" * levels + "$"
    assert tagged(read(source)) == "x<sup>" + "x" * levels + "</sup>"
    too_deep = "$x" + "^{x" * (levels + 1) + "}" * (levels + 1) + "$"
    assert read(too_deep) == (("", too_deep),)


def test_text_past_the_size_limit_is_shown_as_written() -> None:
    source = "$x^2$ " * (MAX_TEX_CHARS // 6 + 1)
    assert len(source) > MAX_TEX_CHARS
    assert read(source) == (("", source),)
    assert read(source[:MAX_TEX_CHARS]) != (("", source[:MAX_TEX_CHARS]),)  # at the limit: read
    assert tagged(read(source[:60])).startswith("x² x² x²")


@pytest.mark.parametrize(
    "source",
    [
        "\\$" * 5600,  # escaped dollars
        # An escaped backslash, then a dollar: each dollar searched the rest of the text for
        # its closing one (11.4 s on a first view in the security review, 4.3 s here).
        "\\\\$" * 5600,
        "$" * MAX_TEX_CHARS,
        "\\(}" * (MAX_TEX_CHARS // 3) + "\\)",  # formulas that end early, one closing far away
        "\\sqrt[" * (MAX_TEX_CHARS // 6),  # optional arguments that never close
        "$x^" * (MAX_TEX_CHARS // 3),
    ],
)
def test_long_hostile_text_is_read_in_linear_time(source: str) -> None:
    assert len(source) <= MAX_TEX_CHARS
    started = time.perf_counter()
    read(source)
    assert time.perf_counter() - started < 0.25


# TeX's syntax in fragments, so that generated text nests, opens and closes in every way.
FRAGMENTS = [
    "{", "}", "$", "$$", "\\", "\\\\", "\\$", "\\(", "\\)", "\\[", "\\]", "^", "_", "^{",
    "_{", "[", "]", "\\frac", "\\sqrt", "\\sqrt[", "\\text{", "\\mathrm{", "\\emph{",
    "\\href{", "\\textsuperscript{", "\\footnote{", "\\mathbb{", "\\hat", "\\left(",
    "\\right.", "\\alpha", "\\log", "\\cite[", "\\'", '\\"', "\\c", "\\ss", "\\ours",
    "``", "''", "--", "---", "~", "%", "&", "<", " ", "\n", "x", "12", "'",
]  # fmt: skip
OPENERS = ["{", "^{", "_{", "$", "\\(", "\\sqrt{", "\\frac{", "\\text{", "\\emph{", "x^"]
MAX_SOURCE = 2_000
MAX_SECONDS = 0.05

fragmented = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=MAX_SOURCE // 2
).map(lambda parts: "".join(parts)[:MAX_SOURCE])
nested = st.builds(
    lambda openers, depth, middle, closing: (openers * depth + middle + closing)[:MAX_SOURCE],
    st.lists(st.sampled_from(OPENERS), min_size=1, max_size=3).map("".join),
    st.integers(0, MAX_SOURCE),
    st.text(max_size=20),
    st.sampled_from(["", "}" * 50, "$" * 50, "}$" * 200, "\\)"]),
)
tex_sources = st.one_of(fragmented, nested, st.text(max_size=MAX_SOURCE))


@settings(max_examples=300, deadline=None)  # the bound is asserted below, per call
@given(tex_sources)
@example(DEEP_TITLE[:MAX_SOURCE])
@example(DEEP_ABSTRACT)
@example(("\\\\$" * 700)[:MAX_SOURCE])
@example(("\\(}" * 700)[:MAX_SOURCE])
def test_any_source_gives_pieces_quickly(source: str) -> None:
    started = time.perf_counter()
    pieces = read(source)
    elapsed = time.perf_counter() - started
    assert elapsed < MAX_SECONDS, f"{elapsed * 1000:.1f} ms for {source[:80]!r}"
    assert all(
        kind in ("", "sup", "sub") and isinstance(text, str) and text for kind, text in pieces
    )
