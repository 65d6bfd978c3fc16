"""How browsers and agents find what paperboard offers: ``/opensearch.xml`` (every page links
it, so a browser can add paperboard as a search engine), ``/llms.txt`` (llmstxt.org: the
API, the MCP endpoint, the Markdown pages and the feeds, for language models and their tools)
``/.well-known/openapi.json`` (RFC 8615's place for it: the same document as
``/openapi.json``) and ``/favicon.ico``, which browsers ask every site for (the pages also link
an SVG icon).

They depend only on the settings (absolute URLs from PAPERBOARD_BASE_URL) and the routes:
built once per app, answered from memory.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from paperboard.web.deps import get_settings
from paperboard.web.templating import SITE_NAME, STATIC_DIR

router = APIRouter(include_in_schema=False)

OPENSEARCH_TYPE = "application/opensearchdescription+xml"
ICON_TYPE = "image/vnd.microsoft.icon"  # IANA's name for .ico
# A day: browsers and crawlers re-read them rarely, and they change only with the settings.
CACHE_CONTROL = "public, max-age=86400"
_OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
_MOZ_NS = "http://www.mozilla.org/2006/browser/search/"


@cache
def opensearch_description(base_url: str) -> bytes:
    """The OpenSearch 1.1 description: HTML results, the Atom feed of a search, and the
    JSON API's search (as a suggestions-free ``results`` URL)."""
    ET.register_namespace("", _OPENSEARCH_NS)
    ET.register_namespace("moz", _MOZ_NS)
    root = ET.Element(f"{{{_OPENSEARCH_NS}}}OpenSearchDescription")

    def add(name: str, text: str | None = None, **attributes: str) -> None:
        element = ET.SubElement(root, f"{{{_OPENSEARCH_NS}}}{name}", attributes)
        element.text = text

    add("ShortName", SITE_NAME)  # at most 16 characters, says the specification
    add("Description", "Search research papers by keywords and meaning.")
    add("InputEncoding", "UTF-8")
    add("Url", type="text/html", method="get", template=f"{base_url}/search?q={{searchTerms}}")
    add(
        "Url",
        type="application/atom+xml",
        template=f"{base_url}/feeds/search.atom?q={{searchTerms}}",
    )
    add(
        "Url",
        type="application/json",
        template=f"{base_url}/api/papers/search?q={{searchTerms}}",
    )
    add("Url", type=OPENSEARCH_TYPE, rel="self", template=f"{base_url}/opensearch.xml")
    ET.SubElement(root, f"{{{_MOZ_NS}}}SearchForm").text = f"{base_url}/search"
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@cache
def llms_txt(base_url: str) -> str:
    return f"""\
# {SITE_NAME}

> A self-hosted home for research papers: arXiv papers featured on daily boards, upvoted and
> discussed, found by hybrid (keyword and semantic) search. Everything below is public and
> needs no account; acting for an account (upvotes, comments) needs an API token, sent as
> `Authorization: Bearer <token>`.

## MCP server

- [MCP endpoint]({base_url}/mcp): Streamable HTTP (the official MCP SDK). Tools:
  search_papers, get_paper, read_paper, daily_papers, trending_papers, similar_papers,
  paper_comments; with a token, upvote_paper, list_collections, add_to_collection and my_feed
  (recommendations with their reasons). Resource: `paper://{{arxiv_id}}` (Markdown).
  Locally over stdio: `paperboard mcp`.

## Papers as Markdown

- [A paper]({base_url}/papers/2401.00001.md): `/papers/{{arxiv_id}}.md`, or the paper page
  `/papers/{{arxiv_id}}` with `Accept: text/markdown`: metadata, abstract (TeX kept) and the
  full text from arXiv's HTML rendering when there is one.

## JSON API (Hugging Face-compatible: `huggingface_hub.HfApi(endpoint="{base_url}")`)

- [Daily papers]({base_url}/api/daily_papers): `?date=YYYY-MM-DD`, `?week=YYYY-Www`,
  `?month=YYYY-MM`, `?sort=trending`, `p`, `limit`.
- [Search]({base_url}/api/papers/search?q=diffusion): `q`, `limit`.
- [All papers]({base_url}/api/papers): newest first, paged by the `Link` header.
- [One paper]({base_url}/api/papers/2401.00001): `/api/papers/{{arxiv_id}}`; its
  `/similar` papers and `/comments`.
- [Comments]({base_url}/api/papers/2401.00001?field=comments): a paper with its comments
  in Hugging Face's discussion-comment shape.
- [Repositories]({base_url}/api/arxiv/2401.00001/repos): `{{models, datasets, spaces}}`
  (empty here: paperboard hosts no repositories).
- [OpenAPI description]({base_url}/openapi.json): every endpoint and parameter; also at
  `/.well-known/openapi.json`.

## Feeds (Atom)

- [Trending]({base_url}/feeds/trending.atom)
- [Newest]({base_url}/feeds/new.atom)
- [A day's board]({base_url}/feeds/date/2024-06-13.atom): also `/feeds/week/YYYY-Www.atom`
  and `/feeds/month/YYYY-MM.atom`.
- [A search]({base_url}/feeds/search.atom?q=diffusion)

## Optional

- [Search from the browser]({base_url}/opensearch.xml): OpenSearch description.
"""


@router.get("/opensearch.xml")
def opensearch(request: Request) -> Response:
    body = opensearch_description(get_settings(request).base_url)
    return Response(body, media_type=OPENSEARCH_TYPE, headers={"Cache-Control": CACHE_CONTROL})


@router.get("/llms.txt")
def llms(request: Request) -> Response:
    body = llms_txt(get_settings(request).base_url)
    return Response(
        body, media_type="text/plain; charset=utf-8", headers={"Cache-Control": CACHE_CONTROL}
    )


@router.get("/.well-known/openapi.json")
def well_known_openapi(request: Request) -> JSONResponse:
    """The app's OpenAPI document (FastAPI builds it once and keeps it), where tools look."""
    return JSONResponse(request.app.openapi())


@cache
def _favicon() -> bytes:
    # The brand mark at 16, 32 and 48 px (static/favicon.svg is the same drawing).
    return (STATIC_DIR / "favicon.ico").read_bytes()


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(_favicon(), media_type=ICON_TYPE, headers={"Cache-Control": CACHE_CONTROL})
