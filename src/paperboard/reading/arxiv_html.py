"""arXiv's HTML rendering of a paper (LaTeXML, ``arxiv.org/html/{id}``) as Markdown.

markdownify does the conversion (MIT; chosen over html2text, GPL-3.0, after both ran on a
recorded page, tests/recorded/: markdownify writes tables with a header row and code as fenced
blocks, and takes a converter subclass for the math). Before it, the page is cut to its
``<article>`` and cleaned of what is not the paper's text: arXiv's banner and navigation,
LaTeXML's title, authors and abstract (the Markdown page has its own, from the metadata),
footnote marks, list bullets drawn as text. Math keeps its TeX (LaTeXML's ``alttext``), as
``$...$`` and ``$$...$$``, the way the abstract keeps it.

Bounded: the page is at most ``MAX_HTML_BYTES`` (the fetch stops reading there), the text at
most ``MAX_MARKDOWN_CHARS`` (cut at a paragraph, with a note); a page nested too deeply for the
converter's recursion is refused (``ConversionError``), not a crash.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from paperboard.domain.links import safe_url

# A long paper's HTML is 1-3 MB (the figures are separate files); 8 MB leaves room.
MAX_HTML_BYTES = 8 * 1024 * 1024
# ~100k words: the longest papers fit, and a model's context is not flooded by one call.
MAX_MARKDOWN_CHARS = 600_000

# Whole elements that are not the paper's body text.
_DROPPED = [
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "button",
    "form",
    ".ltx_page_navbar",
    ".ltx_TOC",
    ".package-alerts",
    ".ltx_page_logo",
    "h1.ltx_title_document",
    ".ltx_authors",
    ".ltx_dates",
    ".ltx_abstract",
    ".ltx_keywords",
    ".ltx_classification",
    # Bullets and numbers LaTeXML writes as text: Markdown lists draw their own.
    "li > .ltx_tag_item",
]
_BLANK_LINES = re.compile(r"\n{3,}")
# "<" that could open raw HTML; not an autolink's (``<https://...>``, which markdownify writes).
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])(?!https?://)")
_FENCE = re.compile(r"^(```|~~~)")


class ConversionError(ValueError):
    """The page cannot be converted (not a paper rendering, or nested beyond reason)."""


class _PaperConverter(MarkdownConverter):
    """markdownify with LaTeXML's math as TeX."""

    def convert_math(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # \lt and \gt: TeX for < and >, which a Markdown renderer could take for HTML.
        tex = " ".join(str(el.get("alttext") or "").split())
        tex = tex.replace("<", "\\lt ").replace(">", "\\gt ")
        if not tex:
            return text
        if el.get("display") == "block" and "_inline" not in parent_tags:
            number = el.get("data-number")
            tag = f" \\tag{{{number}}}" if number else ""
            return f"\n\n$${tex}{tag}$$\n\n"
        return f"${tex}$"


def _article(soup: BeautifulSoup) -> Tag:
    found = soup.find("article") or soup.find(class_="ltx_page_content") or soup.body
    if not isinstance(found, Tag):
        raise ConversionError("the page has no body")
    return found


def _flatten_equations(article: Tag, soup: BeautifulSoup) -> None:
    """Equation tables (one row per equation, the number in its own cell) become display
    math, ``$$... \\tag{1}$$``, not a table of empty cells."""
    for table in article.select("table.ltx_equation, table.ltx_equationgroup"):
        paragraph = soup.new_tag("p")
        for row in table.find_all("tr"):
            number = row.find(class_="ltx_tag_equation")
            label = number.get_text(strip=True).strip("()") if number is not None else ""
            for math in row.find_all("math"):
                math["display"] = "block"
                if label:
                    math["data-number"] = label
                    label = ""  # a multi-line equation's number goes on its first line
                paragraph.append(math)
        table.replace_with(paragraph)


def _inline_footnotes(article: Tag, soup: BeautifulSoup) -> None:
    """A footnote's text in parentheses where its mark was: ``(Footnote 1: ...)``."""
    for note in article.select(".ltx_note.ltx_role_footnote"):
        content = note.find(class_="ltx_note_content")
        if not isinstance(content, Tag):
            note.decompose()
            continue
        for mark in content.select(".ltx_note_mark"):
            mark.decompose()
        tag = content.find(class_="ltx_tag_note")
        number = tag.get_text(strip=True) if isinstance(tag, Tag) else ""
        if isinstance(tag, Tag):
            tag.decompose()
        replacement = soup.new_tag("span")
        replacement.append(f" (Footnote {number}: " if number else " (Footnote: ")
        replacement.extend(list(content.contents))
        replacement.append(")")
        note.replace_with(replacement)


def _fix_links(article: Tag, page_url: str) -> None:
    """Links within the page (citations, "Section 3") become plain text; images and other
    links get absolute http(s) URLs, or are dropped (a ``javascript:`` or ``data:`` URL)."""
    for link in article.find_all("a"):
        href = str(link.get("href") or "")
        target = safe_url(urljoin(page_url, href)) if href and not href.startswith("#") else None
        if target is None or href.startswith("mailto:"):
            link.unwrap()
        else:
            link.attrs = {"href": target}
    for image in article.find_all("img"):
        source = safe_url(urljoin(page_url, str(image.get("src") or "")))
        if source is None:
            image.decompose()
        else:
            image.attrs = {"src": source, "alt": "figure"}


def _escape_html(markdown: str) -> str:
    """``&lt;`` for a ``<`` that could open raw HTML, outside code blocks: a Markdown
    renderer passes raw HTML through, and the page's text is someone else's."""
    lines = []
    in_code = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
        lines.append(line if in_code else _TAG_OPEN.sub("&lt;", line))
    return "\n".join(lines)


def _bounded(markdown: str, page_url: str, max_chars: int) -> str:
    if len(markdown) <= max_chars:
        return markdown
    cut = markdown.rfind("\n\n", 0, max_chars)
    kept = markdown[: cut if cut > 0 else max_chars]
    return kept + f"\n\n*(The text is cut here; the rest is at <{page_url}>.)*"


def html_to_markdown(
    html: str | bytes, page_url: str, *, max_chars: int = MAX_MARKDOWN_CHARS
) -> str:
    """The paper's body text as Markdown. ``page_url`` is where the page was fetched (after
    redirects): relative links and images resolve against it (and the page's ``<base>``)."""
    soup = BeautifulSoup(html, "html.parser")
    base = soup.find("base")
    if isinstance(base, Tag) and base.get("href"):
        page_url = urljoin(page_url, str(base["href"]))
    article = _article(soup)
    for selector in _DROPPED:
        for element in article.select(selector):
            element.decompose()
    # Sections (h2 in LaTeXML) go one level down: the Markdown page's "Full text" is a level-2
    # heading. Each heading is renamed once (the list is taken before renaming).
    for heading in article.find_all(["h2", "h3", "h4", "h5"]):
        heading.name = f"h{int(heading.name[1]) + 1}"
    for math in article.find_all("math"):
        # The MathML inside is many times the TeX's size and converts to nothing readable.
        math.clear()
    _flatten_equations(article, soup)
    _inline_footnotes(article, soup)
    _fix_links(article, page_url)
    converter = _PaperConverter(heading_style="ATX", bullets="-", escape_misc=False)
    try:
        markdown = converter.convert_soup(article)
    except RecursionError:
        raise ConversionError("the page is nested too deeply to convert") from None
    markdown = _BLANK_LINES.sub("\n\n", markdown).strip()
    if not markdown:
        raise ConversionError("the page has no text")
    return _bounded(_escape_html(markdown), page_url, max_chars)
