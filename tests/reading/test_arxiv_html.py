"""arXiv's HTML rendering -> Markdown, on a recorded LaTeXML page (tests/recorded/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperboard.reading.arxiv_html import ConversionError, html_to_markdown

RECORDED = Path(__file__).parent.parent / "recorded" / "arxiv_html_2401.00001v2.html"
PAGE_URL = "https://arxiv.org/html/2401.00001v2"


@pytest.fixture(scope="module")
def markdown() -> str:
    return html_to_markdown(RECORDED.read_bytes(), PAGE_URL)


def test_the_body_is_kept_and_arxivs_page_around_it_is_not(markdown: str) -> None:
    assert markdown.startswith("### 1 Introduction\n")
    for chrome in ("Back to arXiv", "experimental HTML", "Report Issue", "LaTeXML", "tikz-cd"):
        assert chrome not in markdown, chrome
    # Title, authors and abstract come from the metadata on the Markdown page, not twice.
    assert "Speculative Decoding with Draft Models" not in markdown
    assert "Analytical Engine Lab" not in markdown
    assert "We accelerate large language model inference" not in markdown


def test_sections_sit_below_the_pages_full_text_heading(markdown: str) -> None:
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == [
        "### 1 Introduction",
        "### 2 Method",
        "#### 2.1 Acceptance rule",
        "### 3 Experiments",
        "### References",
    ]


def test_math_keeps_its_tex(markdown: str) -> None:
    assert "target model $M_{p}$, so latency" in markdown
    assert "$$\\alpha(x)=\\min\\left(1,\\frac{p(x)}{q(x)}\\right), \\tag{1}$$" in markdown
    # < in TeX is written \lt: a Markdown renderer cannot take it for an HTML tag.
    assert "where $p\\lt q$ never happens" in markdown
    assert "semantics" not in markdown and "𝑀" not in markdown  # no MathML leaks through


def test_lists_tables_code_and_footnotes(markdown: str) -> None:
    assert "- a rejection sampler that keeps the target distribution exactly;" in markdown
    assert "•" not in markdown
    assert "| Model | $\\gamma$ | Speed-up |\n| --- | --- | --- |\n| T5-XXL | 3 | 2.3× |" in (
        markdown
    )
    assert "```\ndef accept(p, q, x):\n    return random() < min(1, p[x] / q[x])\n```" in markdown
    assert "in one pass (Footnote 1: Code: <https://github.com/x/spec>)." in markdown


def test_links_and_images(markdown: str) -> None:
    # Links within the page (citations, "Section 3") are text; images are absolute URLs.
    assert "(Leviathan et al., 2023)" in markdown and "#bib.bib1" not in markdown
    assert "(Section 3)." in markdown
    assert "![figure](https://arxiv.org/html/2401.00001v2/x1.png)" in markdown
    assert "data:image" not in markdown and "mailto:" not in markdown


def test_text_that_looks_like_html_stays_text(markdown: str) -> None:
    assert "A stray &lt;script>alert(1)&lt;/script> in the source stays text." in markdown


def test_hostile_links_are_dropped() -> None:
    html = (
        '<article><p><a href="javascript:alert(1)">click</a> and '
        '<img src="javascript:alert(2)"> and <a href="/abs/2401.00002">a relative link</a></p>'
        "</article>"
    )
    text = html_to_markdown(html, PAGE_URL)
    assert "javascript" not in text
    assert text == "click and  and [a relative link](https://arxiv.org/abs/2401.00002)"


def test_long_texts_are_cut_at_a_paragraph_with_a_note() -> None:
    html = "<article>" + "".join(f"<p>Paragraph {n} of the paper.</p>" for n in range(400))
    text = html_to_markdown(html + "</article>", PAGE_URL, max_chars=1000)
    assert len(text) < 1100
    assert text.endswith(f"*(The text is cut here; the rest is at <{PAGE_URL}>.)*")
    assert "\n\nParagraph" in text and "of the paper.\n\n*(The text" in text


@pytest.mark.parametrize(
    "html",
    ["", "<html><body></body></html>", "<div>" * 5000 + "deep" + "</div>" * 5000],
    ids=["empty", "no text", "nested too deeply"],
)
def test_pages_that_cannot_be_converted_are_refused(html: str) -> None:
    with pytest.raises(ConversionError):
        html_to_markdown(html, PAGE_URL)
