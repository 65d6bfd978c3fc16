"""A paper as Markdown, for people and agents that read text: ``GET /papers/{id}.md`` (what
``huggingface_hub``'s ``read_paper`` fetches), the paper page with ``Accept: text/markdown``, the
MCP ``read_paper`` tool and ``paper://{id}`` resource.

The abstract keeps its TeX (Markdown readers with math support render ``$...$``) but arXiv's hard
line breaks are re-flowed into paragraphs, as on the HTML page. The full text, when arXiv has an
HTML rendering, follows under "Full text" (arxiv_html.py); otherwise a note says why not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from paperboard.domain.links import safe_url
from paperboard.domain.tex import reflow
from paperboard.reading.fulltext import FullText
from paperboard.storage.listing import ListedPaper

_BLANK = re.compile(r"\s+")
# "<" that could open raw HTML (a tag, a comment, a declaration) in free text from feeds: a
# Markdown renderer passes raw HTML through, so "<script>" in an abstract would run. "&lt;"
# renders as "<" wherever the text is shown; TeX like "$p < q$" (no letter after) is kept.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
# Characters that would start Markdown syntax inside a one-line field (a title, a name).
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _autolink(url: str | None) -> str | None:
    """``<url>`` for an http(s) URL, else None. Code and project links come from imported data
    (Hugging Face JSON): ``<javascript:alert(1)>`` is an autolink a Markdown renderer turns into
    a live link, and a ``>`` in the URL would end the autolink and let the rest be raw HTML."""
    safe = safe_url(url)
    if safe is None:
        return None
    return "<" + re.sub(r"[<>\s]", lambda m: f"%{ord(m.group()):02X}", safe) + ">"


def _inline(text: str) -> str:
    """One line of literal text: whitespace collapsed, Markdown syntax characters escaped."""
    return _INLINE_SPECIAL.sub(r"\\\1", _BLANK.sub(" ", text).strip())


def paper_markdown(
    listed: ListedPaper,
    featured_days: Sequence[date],
    base_url: str,
    full_text: FullText | None = None,
) -> str:
    """The page; ``full_text`` None leaves the full-text section out."""
    record = listed.paper
    page_url = f"{base_url}/papers/{record.arxiv_id}"
    lines = [f"# {_inline(record.title)}", ""]

    facts = [
        f"- arXiv: [{record.arxiv_id}]({record.abs_url}) ([PDF]({record.pdf_url}))",
        f"- Page: <{page_url}>",
    ]
    if record.published_at:
        facts.append(f"- Published: {record.published_at.date().isoformat()}")
    if record.authors:
        facts.append(f"- Authors: {', '.join(_inline(name) for name in record.authors)}")
    if record.categories:
        facts.append(f"- Categories: {', '.join(record.categories)}")
    facts.append(f"- Upvotes: {listed.upvotes}")
    # The thread's count (the page's comments); Hugging Face's apart, as the page shows them.
    elsewhere = listed.num_comments - listed.local_comments
    where = f" here, {elsewhere} on Hugging Face" if elsewhere else ""
    facts.append(f"- Comments: {listed.local_comments}{where}")
    for url in record.code_urls:
        if code := _autolink(url):
            facts.append(f"- Code: {code}")
    if project := _autolink(record.project_page):
        facts.append(f"- Project page: {project}")
    if featured_days:
        days = ", ".join(
            f"[{day.isoformat()}]({base_url}/papers/date/{day.isoformat()})"
            for day in featured_days
        )
        facts.append(f"- Featured on: {days}")
    lines += [*facts, "", "## Abstract", ""]
    for paragraph in reflow(record.abstract):
        lines += [_no_html(paragraph), ""]
    if record.ai_summary:
        lines += ["## AI summary", "", _no_html(_BLANK.sub(" ", record.ai_summary).strip()), ""]
    if record.ai_keywords:
        lines += ["## Keywords", "", ", ".join(_inline(k) for k in record.ai_keywords), ""]
    if record.comments:
        lines += ["## arXiv comments", "", _no_html(_BLANK.sub(" ", record.comments).strip()), ""]
    if full_text is not None:
        lines += _full_text_section(full_text, record.pdf_url)
    return "\n".join(lines).rstrip("\n") + "\n"


def _full_text_section(full_text: FullText, pdf_url: str) -> list[str]:
    lines = ["## Full text", ""]
    if full_text.status != "ok":
        return [*lines, f"*{full_text.note} The PDF: <{pdf_url}>.*", ""]
    source = f"<{full_text.source_url}>" if full_text.source_url else "arXiv"
    fetched = f", fetched {full_text.fetched_at.date().isoformat()}" if full_text.fetched_at else ""
    credit = f"*Converted to Markdown from arXiv's HTML rendering ({source}){fetched}.*"
    # Already converted and escaped (arxiv_html.py); its headings start at level 3.
    return [*lines, credit, "", full_text.markdown, ""]


def _no_html(text: str) -> str:
    return _TAG_OPEN.sub("&lt;", text)


def not_found_markdown(arxiv_id: str) -> str:
    """The body of a 404 for a well-formed id that is not in the store."""
    return (
        "# Paper not found\n\n"
        f"paperboard has no paper {_inline(arxiv_id)} (yet). "
        f"It may be on arXiv: <https://arxiv.org/abs/{arxiv_id}>.\n"
    )


NOT_AN_ID_MARKDOWN = "# Not found\n\nThat is not an arXiv identifier, so there is no paper page.\n"
