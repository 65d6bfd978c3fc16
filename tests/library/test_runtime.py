"""The composition root builds the library once, over the community's context and the
process's search."""

from __future__ import annotations

from pathlib import Path

from paperboard.community.passwords import fast_passwords
from paperboard.config import load_settings
from paperboard.ingest.loader import load
from paperboard.runtime import build_runtime
from paperboard.search import keyword
from paperboard.storage.database import Database
from tests.community_site import PASSWORD, paper


def test_runtime_library_shares_the_community_context(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'paperboard.db'}")
    settings = load_settings({"PAPERBOARD_EMBEDDER": "off"}, data_dir=tmp_path / "data")
    index = keyword.open_index(settings.data_dir)
    runtime = build_runtime(settings, db, index, community_options={"passwords": fast_passwords()})
    try:
        assert runtime.library.context is runtime.community.context
        load(db, [paper("2401.00001", title="A title to find")])
        keyword.sync(db, index)
        ada = runtime.community.accounts.create_user("ada", "ada@example.org", PASSWORD, "user")
        made = runtime.library.collections.create(ada, "List")
        report = runtime.library.exchange.import_file(
            made.slug, ada, "csljson", '[{"title": "A title to find"}]'
        )
        # Matched by title through the runtime's own (keyword-only) search service.
        assert report.added == ["2401.00001"] and report.matched_by_title == 1
        assert runtime.is_search_open()
    finally:
        runtime.close()
