"""``paperboard index sync|rebuild`` (cli/search.py); ``search`` and ``embed`` are driven in
tests/jobs/test_embed.py."""

from __future__ import annotations

import re
from pathlib import Path

from tests.command_line import SNAPSHOT, pb, run, stats


def test_index_commands(tmp_path: Path, fixtures_dir: Path) -> None:
    data = tmp_path / "data"
    assert pb(data, "ingest", str(fixtures_dir / SNAPSHOT)).returncode == 0
    rebuild = run(data, "index", "rebuild")
    assert rebuild.exit_code == 0, rebuild.output
    assert rebuild.stdout == "indexed 200 papers\n"
    assert stats(data)["keyword_indexed"] == 200

    sync = run(data, "index", "sync")
    assert sync.exit_code == 0, sync.output
    assert re.fullmatch(r"indexed \d+ papers\n", sync.stdout)
    assert stats(data)["keyword_indexed"] == 200

    # The index is derived data: deleted, a sync rebuilds it from the database.
    for child in (data / "keyword-index").iterdir():
        child.unlink()
    sync = pb(data, "index", "sync")
    assert sync.stdout == "indexed 200 papers\n"
    assert stats(data)["keyword_indexed"] == 200


def test_index_commands_on_postgresql_keyword_search(tmp_path: Path, postgres_url: str) -> None:
    result = run(
        tmp_path / "data", "index", "sync", database_url=postgres_url, keyword_index="postgres"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "PostgreSQL keeps its keyword index itself: nothing to do\n"
