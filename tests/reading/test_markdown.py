"""The Markdown paper page (pure rendering; the route is tested in tests/web/test_api_papers.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperboard.domain.paper import PaperRecord
from paperboard.reading.markdown import not_found_markdown, paper_markdown
from paperboard.storage.listing import ListedPaper

BASE = "https://papers.example.org"


def listed(**fields: object) -> ListedPaper:
    values: dict[str, object] = {
        "arxiv_id": "2401.01234",
        "title": "Attention *Is* All\n  You [Need]",
        "abstract": "We propose a model\nthat attends.\n  Results: $\\times 2$ faster.",
        "authors": ["Ada Lovelace", "Alan_Turing"],
        "categories": ["cs.CL", "cs.LG"],
        "published_at": datetime(2024, 1, 2, 3, 4, tzinfo=UTC),
        "code_urls": ["https://github.com/example/attn"],
        "project_page": "https://example.org/attn",
        "ai_summary": "A model that attends.",
        "ai_keywords": ["attention", "transformer"],
        "comments": "10 pages,\n 3 figures",
    }
    values.update(fields)
    record = PaperRecord(**values)  # type: ignore[arg-type]
    return ListedPaper(paper=record, paper_id=1, upvotes=7, num_comments=2, local_comments=2)


def test_full_page() -> None:
    text = paper_markdown(listed(), [date(2024, 1, 3), date(2024, 1, 9)], BASE)
    assert text == (
        "# Attention \\*Is\\* All You \\[Need\\]\n"
        "\n"
        "- arXiv: [2401.01234](https://arxiv.org/abs/2401.01234)"
        " ([PDF](https://arxiv.org/pdf/2401.01234))\n"
        "- Page: <https://papers.example.org/papers/2401.01234>\n"
        "- Published: 2024-01-02\n"
        "- Authors: Ada Lovelace, Alan\\_Turing\n"
        "- Categories: cs.CL, cs.LG\n"
        "- Upvotes: 7\n"
        "- Comments: 2\n"
        "- Code: <https://github.com/example/attn>\n"
        "- Project page: <https://example.org/attn>\n"
        "- Featured on: [2024-01-03](https://papers.example.org/papers/date/2024-01-03),"
        " [2024-01-09](https://papers.example.org/papers/date/2024-01-09)\n"
        "\n"
        "## Abstract\n"
        "\n"
        "We propose a model that attends.\n"
        "\n"
        "Results: $\\times 2$ faster.\n"
        "\n"
        "## AI summary\n"
        "\n"
        "A model that attends.\n"
        "\n"
        "## Keywords\n"
        "\n"
        "attention, transformer\n"
        "\n"
        "## arXiv comments\n"
        "\n"
        "10 pages, 3 figures\n"
    )


def test_comments_counted_on_hugging_face_are_named() -> None:
    record = listed().paper
    both = ListedPaper(paper=record, paper_id=1, upvotes=7, num_comments=5, local_comments=2)
    assert "- Comments: 2 here, 3 on Hugging Face\n" in paper_markdown(both, [], BASE)
    elsewhere = ListedPaper(paper=record, paper_id=1, upvotes=7, num_comments=3, local_comments=0)
    assert "- Comments: 0 here, 3 on Hugging Face\n" in paper_markdown(elsewhere, [], BASE)


def test_minimal_page_leaves_out_what_is_unknown() -> None:
    text = paper_markdown(
        listed(
            arxiv_id="hep-th/9901001",
            authors=[],
            categories=[],
            published_at=None,
            code_urls=[],
            project_page=None,
            ai_summary=None,
            ai_keywords=[],
            comments=None,
        ),
        [],
        BASE,
    )
    for absent in ("Published", "Authors", "Categories", "Code", "Project", "Featured", "AI"):
        assert absent not in text
    assert "<https://papers.example.org/papers/hep-th/9901001>" in text
    assert text.endswith("Results: $\\times 2$ faster.\n")


def test_markup_in_titles_and_names_is_literal() -> None:
    text = paper_markdown(listed(title="<script>x</script> # not a heading"), [], BASE)
    assert text.splitlines()[0] == "# \\<script\\>x\\</script\\> \\# not a heading"


def test_not_found() -> None:
    assert "2401.99999" in not_found_markdown("2401.99999")


def test_html_in_free_text_cannot_open_a_tag() -> None:
    """A Markdown renderer passes raw HTML through: a tag in an abstract from a feed must not
    survive as a tag, while TeX comparisons stay readable."""
    from paperboard.reading.markdown import _no_html

    assert _no_html("x <script>alert(1)</script> y") == "x &lt;script>alert(1)&lt;/script> y"
    assert _no_html("<!-- c --> <?php") == "&lt;!-- c --> &lt;?php"
    assert _no_html("$p < q$ and $a<1$") == "$p < q$ and $a<1$"
