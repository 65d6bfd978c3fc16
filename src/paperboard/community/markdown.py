"""Comment Markdown -> safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises.

Two layers on purpose. markdown-it runs with raw HTML off (``<script>`` arrives as the text
"<script>") and refuses ``javascript:``/``vbscript:``/``data:`` link targets; nh3 then keeps
only the tags and attributes below and only http(s)/mailto URLs, whatever the renderer emits.
Images are off: an image in a comment would load a stranger's URL in every reader's browser.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

MAX_COMMENT_CHARS = 10_000

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# ugc: search engines are told links in comments are the users', not the site's.
LINK_REL = "nofollow noopener noreferrer ugc"

_renderer = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("strikethrough")
    .disable("image")
)


@lru_cache(maxsize=4096)
def render_comment(text: str) -> str:
    """Sanitised HTML for a comment's Markdown (cached: a page renders the same comments
    over and over)."""
    html = _renderer.render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def clean_comment_text(text: str) -> str:
    """The text as stored: line endings normalised, NULs and trailing blanks dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
