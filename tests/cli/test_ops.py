"""``paperboard config`` and ``db upgrade`` (cli/ops.py); ``backup`` and ``migrate`` are in
tests/ops/test_backup.py and tests/ops/test_copy_to.py, ``stats`` runs in every command test."""

from __future__ import annotations

import re
from pathlib import Path

from tests.command_line import run, stats


def test_config_markdown_lists_the_settings(tmp_path: Path) -> None:
    result = run(tmp_path / "data", "config", "--markdown")
    assert result.exit_code == 0
    assert "`PAPERBOARD_DATA_DIR`" in result.output
    assert "`PAPERBOARD_DATABASE_URL`" in result.output
    assert result.output.startswith("# Configuration")


def test_config_shows_the_settings_in_effect(tmp_path: Path) -> None:
    result = run(tmp_path / "data", "config", sync_days="3")
    assert result.exit_code == 0, result.output
    assert f"data_dir: {tmp_path / 'data'}\n" in result.stdout
    assert "sync_days: 3\n" in result.stdout


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    data = tmp_path / "data"
    upgrade = run(data, "db", "upgrade")
    assert upgrade.exit_code == 0, upgrade.output
    assert re.fullmatch(r"database at revision \S+\n", upgrade.stdout)
    revision = upgrade.stdout.split()[-1]
    assert stats(data)["schema_revision"] == revision
