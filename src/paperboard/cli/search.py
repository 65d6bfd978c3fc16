"""``paperboard search``, ``embed`` and ``index``: searching, and the indexes search reads."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from paperboard.cli import services
from paperboard.cli.support import EXIT_INTERRUPTED, ProgressDisplay, cli_runtime, fail

app = typer.Typer()
index_app = typer.Typer(
    help="The keyword index (embedded default).\n\nExample: paperboard index rebuild",
    no_args_is_help=True,
)
app.add_typer(index_app, name="index")

MODES = ("hybrid", "keyword", "semantic")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", author:"...", cat:cs.CL.')],
    limit: Annotated[int, typer.Option(min=1, max=120)] = 10,
    sort: Annotated[str, typer.Option(help="relevance, upvotes or newest.")] = "relevance",
    mode: Annotated[str, typer.Option(help="hybrid, keyword or semantic.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Search the stored papers (keywords and meaning) and print the best matches.

    Example: paperboard search "speculative decoding with a draft model" --limit 5
    """
    if sort not in services.search_service.SORTS or mode not in MODES:
        raise fail("--sort is relevance, upvotes or newest; --mode hybrid, keyword or semantic")
    runtime = cli_runtime()
    try:
        service = runtime.search
        request = services.search_service.SearchRequest(
            query=query, per_page=limit, sort=sort, mode=mode
        )
        page = service.search(request)
    finally:
        runtime.close()
    for hit in page.hits:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": hit.paper.arxiv_id,
                        "title": hit.paper.title,
                        "score": round(hit.score, 5),
                        "keywordRank": hit.keyword_rank,
                        "semanticRank": hit.semantic_rank,
                    }
                )
            )
        else:
            typer.echo(f"{hit.paper.arxiv_id:>16}  {hit.paper.title}")
    if not as_json:
        # What took part, not the mode asked for; and why meaning did not, when asked.
        how = "; ".join(filter(None, (f"by {page.engines}", page.semantic_note)))
        typer.echo(f"{page.total} matches ({how}, {page.elapsed_ms:.0f} ms)", err=True)


@app.command()
def embed(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Papers per commit.")] = 256,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many papers.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Embedder (PAPERBOARD_EMBEDDER): minilm-int8, hashing, ...")
    ] = None,
    threads: Annotated[int | None, typer.Option(min=1, max=256, help="CPU threads.")] = None,
    rebuild_index: Annotated[
        bool, typer.Option("--rebuild-index", help="Rebuild the vector index file from the DB.")
    ] = False,
) -> None:
    """Embed every paper that has no vector yet (or whose text changed) for semantic search.

    Batches are committed as they finish: stop it at any time (even kill -9) and run it again
    to continue. On SQLite the HNSW index file next to the database is brought up to date.

    Example: paperboard embed --batch-size 256
    """
    runtime = cli_runtime()
    try:
        try:
            embedder = services.embedder.load_embedder(model, threads=threads)
        except services.embedder.EmbedderError as exc:
            raise fail(str(exc)) from None
        index = services.vectors.open_vector_index(
            runtime.db, runtime.settings.data_dir, embedder.name, embedder.dim
        )
        if rebuild_index and isinstance(index, services.vectors.HnswFileIndex):
            index.rebuild()
        progress = ProgressDisplay(None, label="embed", unit="papers")

        def report_progress(done: int, total: int) -> None:
            progress.set_total(total)  # known once the job has counted what is pending
            progress(done)

        try:
            report = services.jobs_embed.backfill(
                runtime.db,
                embedder,
                vector_index=index,
                batch_size=batch_size,
                limit=limit,
                progress=report_progress,
            )
        except KeyboardInterrupt:
            progress.close()
            typer.echo("interrupted: finished batches are kept; run again to continue", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        progress.close()
        index.close()
    finally:
        runtime.close()
    typer.echo(
        f"embedded {report.embedded} papers with {embedder.name} "
        f"({report.seconds:.1f}s, {report.rate:,.1f} papers/s); {report.indexed} indexed"
    )


@index_app.command("sync")
def index_sync() -> None:
    """Index papers the keyword index has not seen yet.

    Example: paperboard index sync
    """
    _update_keyword_index(rebuild=False)


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Drop and rebuild the keyword index from the database.

    Example: paperboard index rebuild
    """
    _update_keyword_index(rebuild=True)


def _update_keyword_index(*, rebuild: bool) -> None:
    runtime = cli_runtime()
    try:
        if runtime.keyword_index is None:
            typer.echo("PostgreSQL keeps its keyword index itself: nothing to do")
            return
        update = services.keyword.rebuild if rebuild else services.keyword.sync
        count = update(runtime.db, runtime.keyword_index)
    finally:
        runtime.close()
    typer.echo(f"indexed {count} papers")
