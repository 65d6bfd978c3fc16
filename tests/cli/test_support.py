"""What every command shares (cli/support.py): an invalid setting is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.command_line import clean_exit, no_traceback, pb, run


def test_bad_setting_is_one_line_as_a_program(tmp_path: Path) -> None:
    result = pb(tmp_path / "data", "stats", "--json", port="abc")
    assert result.returncode == 2
    no_traceback(result)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: PAPERBOARD_PORT='abc' is invalid")
    assert not (tmp_path / "data" / "paperboard.db").exists()


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("PORT", "70000", ["ingest", "hf-daily"]),
        ("DATABASE_URL", "mysql://user@host/db", ["stats"]),
        ("SYNC_DAYS", "0", ["config"]),
        ("LOG_LEVEL", "loud", ["db", "upgrade"]),
        ("ARXIV_API_URL", "ftp://example.org", ["feature", "2411.01234"]),
        ("SYNC_ON_START", "maybe", ["serve"]),
    ],
)
def test_bad_setting_is_one_line(
    tmp_path: Path, variable: str, value: str, command: list[str]
) -> None:
    result = run(tmp_path / "data", *command, **{variable.lower(): value})
    assert result.exit_code == 2
    clean_exit(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: PAPERBOARD_{variable}=")
