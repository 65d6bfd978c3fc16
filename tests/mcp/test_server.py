"""The MCP server driven by the official client (``mcp.Client``, in process): every tool on the
test data, the personal tools with and without a token, errors as clear tool errors.

A stdio session's token is the one the server was built with (``paperboard mcp --token``); the
HTTP transport, where each request brings its own, is tested in test_mcp_http.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from mcp import Client, MCPError
from mcp.types import CallToolResult

from paperboard.community.ratelimit import Limits, Rule
from paperboard.domain.recommend import Weights
from paperboard.library.collections import Collections
from paperboard.mcp.server import build_server
from paperboard.storage import listing
from paperboard.storage.users import User
from tests.mcp_site import BOARD_DAY, COMMENTED, ON_BOARD, McpSite, build_mcp_site

T = TypeVar("T")

READ_TOOLS = {
    "search_papers",
    "get_paper",
    "read_paper",
    "daily_papers",
    "trending_papers",
    "similar_papers",
    "paper_comments",
}
PERSONAL_TOOLS = {"upvote_paper", "list_collections", "add_to_collection", "my_feed"}


@pytest.fixture(scope="module")
def mcp_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpSite]:
    built = build_mcp_site(tmp_path_factory.mktemp("mcp"))
    yield built
    built.site.close()


def with_client(
    site: McpSite, use: Callable[[Client], Awaitable[T]], token: str | None = None
) -> T:
    server = build_server(site.site.app.state.runtime, stdio_token=token)

    async def run() -> T:
        async with Client(server) as client:
            return await use(client)

    return asyncio.run(run())


def call(site: McpSite, tool: str, token: str | None = None, **arguments: Any) -> CallToolResult:
    return with_client(site, lambda client: client.call_tool(tool, arguments), token)


def ok(result: CallToolResult) -> tuple[dict[str, Any], str]:
    """The structured content and the text of a successful call."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    text = result.content[0].text  # type: ignore[union-attr]
    return result.structured_content, text


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return result.content[0].text  # type: ignore[union-attr]


def test_the_tools_are_listed_with_descriptions_and_schemas(mcp_site: McpSite) -> None:
    tools = with_client(mcp_site, lambda client: client.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == READ_TOOLS | PERSONAL_TOOLS
    for tool in tools:
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None, tool.name
    search = by_name["search_papers"].input_schema
    assert search["required"] == ["query"]
    assert set(search["properties"]) >= {"query", "date_from", "date_to", "category", "has_code"}
    assert search["properties"]["sort"]["enum"] == ["relevance", "upvotes", "newest"]
    assert by_name["get_paper"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert by_name["upvote_paper"].annotations.read_only_hint is False  # type: ignore[union-attr]
    for writer in ("upvote_paper", "add_to_collection"):
        assert by_name[writer].annotations.read_only_hint is False  # type: ignore[union-attr]
    for reader in ("list_collections", "my_feed"):
        assert by_name[reader].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert set(by_name["my_feed"].input_schema["properties"]) == {"limit", "since", "until"}
    assert by_name["add_to_collection"].input_schema["required"] == ["collection", "id"]


def test_search_papers(mcp_site: McpSite) -> None:
    found, text = ok(call(mcp_site, "search_papers", query="speculative decoding draft"))
    assert found["papers"][0]["id"] == "2401.00001"
    assert found["papers"][0]["title"] == "Speculative Decoding with Draft Models"
    assert found["papers"][0]["url"].endswith("/papers/2401.00001")
    assert "1. **Speculative Decoding with Draft Models** (2401.00001, 2024-01-02)" in text
    # Filters: category, code, dates, sort.
    vision, _ = ok(call(mcp_site, "search_papers", query="models", category="cs.CV"))
    assert [paper["id"] for paper in vision["papers"]] == ["2401.00003"]
    coded, _ = ok(call(mcp_site, "search_papers", query="models", has_code=True, limit=50))
    assert coded["papers"] and all(paper["code"] for paper in coded["papers"])
    dated, _ = ok(
        call(mcp_site, "search_papers", query="models", date_from="2024-02-01", sort="newest")
    )
    published = [paper["published"] for paper in dated["papers"]]
    assert published and published == sorted(published, reverse=True)
    assert all(day >= "2024-02-01" for day in published)


def test_get_paper(mcp_site: McpSite) -> None:
    paper, text = ok(call(mcp_site, "get_paper", id="arXiv:2401.00001v2"))
    assert paper["id"] == "2401.00001"
    assert paper["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert paper["code"] == ["https://github.com/x/spec"]
    assert paper["pdf_url"] == "https://arxiv.org/pdf/2401.00001"
    assert paper["comments"] == 2
    assert paper["featured_days"] == [BOARD_DAY.isoformat()]
    assert paper["markdown_url"].endswith("/papers/2401.00001.md")
    assert text.startswith("# Speculative Decoding with Draft Models\n")


def test_read_paper_gives_the_markdown_page_in_parts(mcp_site: McpSite) -> None:
    meta, text = ok(call(mcp_site, "read_paper", id="2401.00001"))
    assert text.startswith("# Speculative Decoding with Draft Models\n")
    assert "## Abstract\n\nWe accelerate large language model inference" in text
    # The test site's arXiv is offline: the abstract version, with a note.
    assert meta["full_text"] == "unavailable"
    assert "*The full text could not be fetched from arXiv just now" in text
    assert meta["next_start"] is None and meta["characters"] == len(text)
    first, part = ok(call(mcp_site, "read_paper", id="2401.00001", max_chars=300))
    assert first["next_start"] == 300
    assert part.endswith("[Continues: read_paper(id='2401.00001', start=300)]")
    rest, tail = ok(call(mcp_site, "read_paper", id="2401.00001", start=300))
    assert rest["next_start"] is None
    assert part[:300] + tail == text


def test_daily_papers(mcp_site: McpSite) -> None:
    board, text = ok(call(mcp_site, "daily_papers"))  # the latest board
    assert board["period"] == BOARD_DAY.isoformat()
    assert [paper["id"] for paper in board["papers"]] == list(ON_BOARD)
    assert board["papers"][0]["submitted_by"] == "akhaliq"
    assert f"/papers/date/{BOARD_DAY.isoformat()}" in text
    year, week, _ = BOARD_DAY.isocalendar()
    weekly, _ = ok(call(mcp_site, "daily_papers", week=f"{year}-W{week:02d}"))
    assert [paper["id"] for paper in weekly["papers"]] == list(ON_BOARD)
    monthly, _ = ok(call(mcp_site, "daily_papers", month=BOARD_DAY.strftime("%Y-%m"), limit=1))
    assert [paper["id"] for paper in monthly["papers"]] == ["2401.00003"]
    empty, text = ok(call(mcp_site, "daily_papers", date="2020-01-01"))
    assert empty["papers"] == [] and "No papers." in text
    assert "Invalid week" in error_text(call(mcp_site, "daily_papers", week="2024-W99"))
    assert "at most one of" in error_text(
        call(mcp_site, "daily_papers", date="2024-01-01", month="2024-01")
    )


def test_trending_papers(mcp_site: McpSite) -> None:
    trending, text = ok(call(mcp_site, "trending_papers", limit=5))
    assert [paper["id"] for paper in trending["papers"]] == list(ON_BOARD)
    assert trending["papers"][0]["score"] > trending["papers"][1]["score"] > 0
    assert text.startswith("Trending papers:")


def test_similar_papers(mcp_site: McpSite) -> None:
    similar, text = ok(call(mcp_site, "similar_papers", id="2401.00001", limit=3))
    assert similar["semantic"] is True
    ids = [paper["id"] for paper in similar["papers"]]
    assert len(ids) == 3 and "2401.00001" not in ids
    scores = [paper["similarity"] for paper in similar["papers"]]
    assert scores == sorted(scores, reverse=True)
    assert "similarity" in text


def test_paper_comments(mcp_site: McpSite) -> None:
    thread, text = ok(call(mcp_site, "paper_comments", id=COMMENTED))
    [comment] = thread["comments"]
    assert comment["author"] == "ada" and comment["text"] == "Does it keep the **distribution**?"
    assert [reply["text"] for reply in comment["replies"]] == ["Yes, exactly."]
    assert "- **ada** (" in text and "  - **grace** (" in text
    none, text = ok(call(mcp_site, "paper_comments", id="2401.00002"))
    assert none["comments"] == [] and "No comments yet." in text


def test_unknown_papers_and_bad_ids_are_clear_tool_errors(mcp_site: McpSite) -> None:
    for tool in ("get_paper", "read_paper", "similar_papers", "paper_comments"):
        message = error_text(call(mcp_site, tool, id="2401.09999"))
        assert "paperboard has no paper 2401.09999" in message, tool
        assert "Traceback" not in message
    assert "is not an arXiv id" in error_text(call(mcp_site, "get_paper", id="not-an-id"))


def test_upvote_needs_a_token(mcp_site: McpSite) -> None:
    message = error_text(call(mcp_site, "upvote_paper", id="2401.00002"))
    assert "connect with an API token" in message and "Authorization: Bearer" in message
    message = error_text(call(mcp_site, "upvote_paper", "pb_not-a-token", id="2401.00002"))
    assert "That API token is not valid" in message
    assert upvotes(mcp_site, "2401.00002") == 10  # nothing was written


def test_upvote_with_a_token(mcp_site: McpSite) -> None:
    # On the board with Hugging Face's 40 upvotes: the vote is counted on top of them.
    assert upvotes(mcp_site, "2401.00001") == 40
    vote, text = ok(call(mcp_site, "upvote_paper", mcp_site.token, id="2401.00001"))
    assert vote == {"id": "2401.00001", "upvotes": 41, "upvoted": True, "changed": True}
    assert text == "Upvoted 2401.00001 as ada: 41 upvotes."
    again, text = ok(call(mcp_site, "upvote_paper", mcp_site.token, id="2401.00001"))
    assert again["changed"] is False and again["upvotes"] == 41
    assert text.startswith("Already upvoted")
    assert upvotes(mcp_site, "2401.00001") == 41
    ada = mcp_site.site.community.tokens.authenticate(mcp_site.token)
    assert ada is not None
    with mcp_site.site.db.read() as connection:
        voted = listing.by_arxiv_id(connection, "2401.00001")
    assert voted is not None
    assert mcp_site.site.community.votes.voted_ids(ada) == {voted.paper_id}


def test_upvotes_are_rate_limited_like_the_api(mcp_site: McpSite) -> None:
    community = mcp_site.site.community
    community.limits = Limits.unlimited().with_rules(vote_per_account=Rule(1, 3600))
    try:
        ok(call(mcp_site, "upvote_paper", mcp_site.token, id="2401.00005"))
        message = error_text(call(mcp_site, "upvote_paper", mcp_site.token, id="2401.00006"))
    finally:
        community.limits = Limits.unlimited()
    assert re.search(r"Too many attempts\. Try again in \d+ (minutes|seconds?)\.$", message)


def test_the_paper_resource(mcp_site: McpSite) -> None:
    async def read(client: Client) -> tuple[Any, Any]:
        templates = await client.list_resource_templates()
        return templates, await client.read_resource("paper://2401.00001")

    templates, found = with_client(mcp_site, read)
    assert [t.uri_template for t in templates.resource_templates] == ["paper://{+id}"]
    [content] = found.contents
    assert content.mime_type == "text/markdown"
    assert content.text.startswith("# Speculative Decoding with Draft Models\n")

    async def missing(client: Client) -> MCPError:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("paper://2401.09999")
        return raised.value

    assert str(with_client(mcp_site, missing)) == "paperboard has no paper 2401.09999."


def upvotes(site: McpSite, arxiv_id: str) -> int:
    with site.site.db.read() as connection:
        found = listing.by_arxiv_id(connection, arxiv_id)
    assert found is not None
    return found.upvotes


def test_the_server_describes_itself(mcp_site: McpSite) -> None:
    async def info(client: Client) -> tuple[Any, Any]:
        return client.server_info, client.instructions

    server_info, instructions = with_client(mcp_site, info)
    assert server_info is not None and server_info.name == "paperboard"
    assert instructions is not None and "read_paper" in instructions


def refusal(result: CallToolResult, tool: str) -> str:
    """A tool error's sentence, after the SDK's "Error executing tool NAME: "."""
    prefix = f"Error executing tool {tool}: "
    message = error_text(result)
    assert message.startswith(prefix), message
    return message[len(prefix) :]


def owner_with_token(site: McpSite, username: str) -> tuple[User, str]:
    """A fresh account and its API token: the personal tools' results are then theirs alone,
    whatever the module's other tests did to ada."""
    user = site.site.user(username)
    _info, token = site.site.community.tokens.create_for(username, "mcp tests")
    return user, token


def collections_of(site: McpSite) -> Collections:
    return site.site.app.state.runtime.library.collections  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("list_collections", {}),
        ("add_to_collection", {"collection": "ada/x-0123456789abcdef01234567", "id": "2401.00002"}),
        ("my_feed", {}),
    ],
)
def test_the_personal_tools_need_a_token(
    mcp_site: McpSite, tool: str, arguments: dict[str, Any]
) -> None:
    message = refusal(call(mcp_site, tool, **arguments), tool)
    assert message.startswith(f"{tool} acts for a paperboard account: connect with an API token")
    message = refusal(call(mcp_site, tool, "pb_not-a-token", **arguments), tool)
    assert message == "That API token is not valid (revoked, or never issued)."


def test_list_collections_gives_the_callers_own_private_ones_included(mcp_site: McpSite) -> None:
    linus, token = owner_with_token(mcp_site, "linus")
    collections = collections_of(mcp_site)
    reading = collections.create(linus, "Reading list", description="For the train")
    secret = collections.create(linus, "Secret plans", private=True)
    collections.add_paper(secret.slug, "2401.00004", linus)
    collections.add_paper(secret.slug, "2401.00005", linus, note="later")
    collections.create(mcp_site.site.user("margaret"), "Someone else's")

    listed, text = ok(call(mcp_site, "list_collections", token))
    assert listed["owner"] == "linus"
    assert [c["slug"] for c in listed["collections"]] == [reading.slug, secret.slug]
    first, second = listed["collections"]
    assert (first["title"], first["private"], first["items"]) == ("Reading list", False, 0)
    assert first["description"] == "For the train"
    assert (second["private"], second["items"]) == (True, 2)
    assert second["first_papers"] == ["2401.00004", "2401.00005"]
    assert text.splitlines()[0] == "Collections of linus:"
    assert f"- **Secret plans** (`{secret.slug}`, private): 2 papers" in text
    assert f"- **Reading list** (`{reading.slug}`): 0 papers. For the train" in text

    paged, _text = ok(call(mcp_site, "list_collections", token, limit=1, offset=1))
    assert [c["slug"] for c in paged["collections"]] == [secret.slug]
    _user, empty_token = owner_with_token(mcp_site, "nobody")
    empty, text = ok(call(mcp_site, "list_collections", empty_token))
    assert empty == {"owner": "nobody", "collections": []}
    assert text == "nobody has no collections here."


def test_add_to_collection(mcp_site: McpSite) -> None:
    ken, token = owner_with_token(mcp_site, "ken")
    shelf = collections_of(mcp_site).create(ken, "Decoding", private=True)
    added, text = ok(
        call(
            mcp_site,
            "add_to_collection",
            token,
            collection=shelf.slug,
            id="arXiv:2401.00007v2",
            note="  compare with speculative decoding ",
        )
    )
    assert added["id"] == "2401.00007"
    assert added["note"] == "compare with speculative decoding"
    assert added["collection"]["slug"] == shelf.slug
    assert added["collection"]["items"] == 1
    assert added["collection"]["first_papers"] == ["2401.00007"]
    assert text == f"Added 2401.00007 to **Decoding** (`{shelf.slug}`): 1 paper."
    [item] = collections_of(mcp_site).get(shelf.slug, ken).items
    assert (item.paper.arxiv_id, item.note) == ("2401.00007", "compare with speculative decoding")

    again = call(mcp_site, "add_to_collection", token, collection=shelf.slug, id="2401.00007")
    assert refusal(again, "add_to_collection") == "2401.00007 is in this collection already."


def test_add_to_collection_refusals_are_clear_tool_errors(mcp_site: McpSite) -> None:
    dennis, token = owner_with_token(mcp_site, "dennis")
    collections = collections_of(mcp_site)
    own = collections.create(dennis, "Mine")
    barbara = mcp_site.site.user("barbara")
    theirs = collections.create(barbara, "Theirs")
    hidden = collections.create(barbara, "Hidden", private=True)

    def refused(collection: str, paper: str = "2401.00002") -> str:
        answer = call(mcp_site, "add_to_collection", token, collection=collection, id=paper)
        return refusal(answer, "add_to_collection")

    unknown = "dennis/nothing-0123456789abcdef01234567"
    assert refused(unknown) == "No such collection."
    assert refused("not a slug") == "No such collection."
    # Someone else's private collection does not exist for the caller; a public one is theirs.
    assert refused(hidden.slug) == "No such collection."
    assert refused(theirs.slug) == "Only the owner can change a collection."
    assert refused(own.slug, "2401.09999") == "paperboard has no paper 2401.09999."
    assert refused(own.slug, "not-an-id").startswith("'not-an-id' is not an arXiv id")
    assert collections.get(own.slug, dennis).item_count == 0
    assert collections.get(theirs.slug, barbara).item_count == 0


def test_additions_are_rate_limited_like_the_collections_api(mcp_site: McpSite) -> None:
    hopper, token = owner_with_token(mcp_site, "hopper")
    shelf = collections_of(mcp_site).create(hopper, "Limited")
    community = mcp_site.site.community
    community.limits = Limits.unlimited().with_rules(library_per_account=Rule(1, 3600))
    try:
        add = {"collection": shelf.slug}
        ok(call(mcp_site, "add_to_collection", token, id="2401.00002", **add))
        refused = call(mcp_site, "add_to_collection", token, id="2401.00003", **add)
    finally:
        community.limits = Limits.unlimited()
    message = refusal(refused, "add_to_collection")
    assert re.fullmatch(r"Too many attempts\. Try again in \d+ (minutes|seconds?)\.", message)
    assert collections_of(mcp_site).get(shelf.slug, hopper).item_count == 1


def test_my_feed_gives_recommendations_with_their_reasons(mcp_site: McpSite) -> None:
    mia, token = owner_with_token(mcp_site, "mia")
    # Speculative decoding kept: the key value cache paper (decoding of language models, in
    # the window) is like it; the galaxies one is outside the window.
    shelf = collections_of(mcp_site).create(mia, "Fast inference")
    collections_of(mcp_site).add_paper(shelf.slug, "2401.00001", mia)
    window = {"since": "2024-02-15", "until": "2024-03-05"}
    feed, text = ok(call(mcp_site, "my_feed", token, **window))
    assert (feed["user"], feed["since"], feed["until"]) == ("mia", "2024-02-15", "2024-03-05")
    assert feed["weights"] == Weights().as_dict()
    ids = [paper["id"] for paper in feed["papers"]]
    assert set(ids) <= {"2401.00006", "2401.00007", "2401.00008"}
    assert ids[0] == "2401.00007"
    for paper in feed["papers"]:
        assert paper["reasons"], paper["id"]
        total = sum(reason["weight"] for reason in paper["reasons"])
        assert paper["score"] == pytest.approx(total, abs=1e-3)
    best = feed["papers"][0]
    by_signal = {reason["signal"]: reason for reason in best["reasons"]}
    assert "“decoding”" in by_signal["keywords"]["text"]
    assert by_signal["keywords"]["weight"] > 0
    assert text.startswith("For mia, papers announced 2024-02-15 to 2024-03-05, best first:\n")
    assert "1. **Caching Key Value States to Speed Up Language Model Decoding** (2401.00007" in text
    assert "   Why: shares words with your saved papers: “decoding”" in text

    [one] = ok(call(mcp_site, "my_feed", token, limit=1, **window))[0]["papers"]
    assert one["id"] == "2401.00007"


def test_my_feed_windows(mcp_site: McpSite) -> None:
    _user, token = owner_with_token(mcp_site, "rosalind")
    # The default window is the last week: the test papers are from 2024.
    feed, text = ok(call(mcp_site, "my_feed", token))
    today = mcp_site.site.clock().date()
    assert feed["until"] == today.isoformat()
    assert feed["since"] == (today - timedelta(days=6)).isoformat()
    assert feed["papers"] == []
    assert "no recommendations" in text
    backwards = call(mcp_site, "my_feed", token, since="2024-03-05", until="2024-02-15")
    assert refusal(backwards, "my_feed") == "since is after until."
    too_long = call(mcp_site, "my_feed", token, since="2024-01-01", until="2024-03-01")
    assert refusal(too_long, "my_feed") == "A window has at most 31 days."
