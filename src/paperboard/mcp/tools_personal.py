"""The tools that act for the caller's account: they need an API token (mcp/caller.py).

No tool reads or writes personal data without one, and writes count against the same rate
limits as the JSON API's (vote_per_account, vote_per_ip: community/ratelimit.py;
library_per_account for collections), through the same services:

- ``upvote_paper``: community.votes;
- ``list_collections`` and ``add_to_collection``: the library's collections (the caller's own,
  private ones included; library/collections.py);
- ``my_feed``: the library's "for you" recommendations, each with its reasons and their
  weights (library/recommend.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from paperboard.domain.collections import LISTED_ITEMS, MAX_NOTE_CHARS, Collection
from paperboard.library.collections import MAX_LIST_LIMIT
from paperboard.library.recommend import (
    DEFAULT_LIMIT,
    DEFAULT_WINDOW_DAYS,
    MAX_LIMIT,
    RecommendedPaper,
    window,
)
from paperboard.mcp.caller import Callers, community_errors
from paperboard.mcp.shapes import (
    CollectionAddition,
    CollectionList,
    CollectionSummary,
    Feed,
    FeedPaper,
    FeedReason,
    VoteResult,
    card_fields,
    paper_lines,
    result,
)
from paperboard.mcp.tools_read import READ_ONLY, PaperId, canonical_id
from paperboard.runtime import Runtime

# Writes, but asking twice changes nothing (a second add is refused: it is there already).
ADDITIVE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

CollectionSlug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=300,
        description="The collection's slug, owner/title-words-<id> (list_collections gives it).",
    ),
]


def collection_summary(collection: Collection) -> CollectionSummary:
    return CollectionSummary(
        slug=collection.slug,
        title=collection.title,
        description=collection.description,
        private=collection.private,
        items=collection.item_count,
        first_papers=[item.paper.arxiv_id for item in collection.items[:LISTED_ITEMS]],
        updated_at=collection.updated_at.isoformat(),
    )


def papers_count(count: int) -> str:
    return f"{count} paper{'' if count == 1 else 's'}"


def collection_line(summary: CollectionSummary) -> str:
    visibility = ", private" if summary.private else ""
    line = f"- **{summary.title}** (`{summary.slug}`{visibility}): {papers_count(summary.items)}"
    return line + (f". {summary.description}" if summary.description else "")


def feed_paper(found: RecommendedPaper, base_url: str) -> FeedPaper:
    return FeedPaper(
        **card_fields(found.listed, base_url),
        score=round(found.score, 4),
        reasons=[
            FeedReason(signal=reason.signal, text=reason.text, weight=round(reason.weight, 4))
            for reason in found.reasons
        ],
    )


def feed_text(feed: Feed) -> str:
    head = f"For {feed.user}, papers announced {feed.since} to {feed.until}"
    if not feed.papers:
        return (
            f"{head}: no recommendations. Save papers to a collection, upvote some or follow "
            "authors, categories or searches, and the feed fills."
        )
    lines = [f"{head}, best first:", ""]
    for number, paper in enumerate(feed.papers, 1):
        why = "; ".join(f"{reason.text} ({reason.weight:+.2f})" for reason in paper.reasons)
        lines += [*paper_lines(number, paper, f", score {paper.score:.2f}"), f"   Why: {why}", ""]
    return "\n".join(lines).rstrip()


def register(server: MCPServer, runtime: Runtime, callers: Callers) -> None:
    community = runtime.community
    library = runtime.library
    base_url = runtime.settings.base_url

    @server.tool(annotations=ADDITIVE)
    def upvote_paper(id: PaperId, ctx: Context) -> Annotated[CallToolResult, VoteResult]:
        """Upvote a paper as the token's owner (needs an API token). Upvoting twice changes
        nothing."""
        arxiv_id = canonical_id(id)
        user = callers.user(ctx, "upvote_paper")
        with community_errors():
            state = community.votes.upvote(user, arxiv_id, client=callers.client(ctx))
        model = VoteResult(
            id=state.arxiv_id, upvotes=state.upvotes, upvoted=state.upvoted, changed=state.changed
        )
        done = "Upvoted" if state.changed else "Already upvoted"
        return result(
            model, f"{done} {state.arxiv_id} as {user.username}: {state.upvotes} upvotes."
        )

    @server.tool(annotations=READ_ONLY)
    def list_collections(
        ctx: Context,
        limit: Annotated[
            int, Field(ge=1, le=MAX_LIST_LIMIT, description="At most this many collections.")
        ] = MAX_LIST_LIMIT,
        offset: Annotated[int, Field(ge=0, description="Collections to skip, in order.")] = 0,
    ) -> Annotated[CallToolResult, CollectionList]:
        """The token owner's collections (reading lists), private ones included, in the
        owner's order, each with its slug and how many papers it holds (needs an API
        token)."""
        user = callers.user(ctx, "list_collections")
        with community_errors():
            found = library.collections.list(user, owner=user.username, limit=limit, offset=offset)
        summaries = [collection_summary(collection) for collection in found]
        model = CollectionList(owner=user.username, collections=summaries)
        if not summaries:
            return result(model, f"{user.username} has no collections here.")
        lines = [collection_line(summary) for summary in summaries]
        return result(model, f"Collections of {user.username}:\n\n" + "\n".join(lines))

    @server.tool(annotations=ADDITIVE)
    def add_to_collection(
        collection: CollectionSlug,
        id: PaperId,
        ctx: Context,
        note: Annotated[
            str | None,
            Field(max_length=MAX_NOTE_CHARS, description="A note kept with the paper."),
        ] = None,
    ) -> Annotated[CallToolResult, CollectionAddition]:
        """Add a paper (by arXiv id) last to one of the token owner's collections, with an
        optional note (needs an API token). A paper already there is refused."""
        arxiv_id = canonical_id(id)
        user = callers.user(ctx, "add_to_collection")
        with community_errors():
            changed = library.collections.add_paper(collection, arxiv_id, user, note=note)
        added = next(item for item in changed.items if item.paper.arxiv_id == arxiv_id)
        summary = collection_summary(changed)
        model = CollectionAddition(id=arxiv_id, collection=summary, note=added.note)
        return result(
            model,
            f"Added {arxiv_id} to **{summary.title}** (`{summary.slug}`): "
            f"{papers_count(summary.items)}.",
        )

    @server.tool(annotations=READ_ONLY)
    def my_feed(
        ctx: Context,
        limit: Annotated[
            int, Field(ge=1, le=MAX_LIMIT, description="At most this many papers.")
        ] = DEFAULT_LIMIT,
        since: Annotated[
            date | None,
            Field(
                description="Announced on or after "
                f"(default: {DEFAULT_WINDOW_DAYS - 1} days before until)."
            ),
        ] = None,
        until: Annotated[
            date | None, Field(description="Announced on or before (default: today).")
        ] = None,
    ) -> Annotated[CallToolResult, Feed]:
        """Papers recommended for the token's owner ("for you"), best first, each with its
        reasons and what each added to its score: papers like those in their collections and
        upvotes, by followed authors, in followed categories, ... (needs an API token). The
        window is at most 31 days; papers already saved, upvoted or dismissed never show."""
        user = callers.user(ctx, "my_feed")
        recommendations = library.recommendations
        with community_errors():
            since, until = window(library.context.clock().date(), since, until)
            weights = recommendations.weights_of(user)
            found = recommendations.recommend(
                user, since=since, until=until, limit=limit, weights=weights
            )
        model = Feed(
            user=user.username,
            since=since.isoformat(),
            until=until.isoformat(),
            weights=weights.as_dict(),
            papers=[feed_paper(paper, base_url) for paper in found],
        )
        return result(model, feed_text(model))
