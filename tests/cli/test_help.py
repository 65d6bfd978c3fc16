"""Every command and subcommand, listed from the Typer app itself, has help with an example of
itself, and is documented (README.md or docs/); in the manner of sqlite-utils' test_docs.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from paperboard.cli import app
from tests.command_line import PROJECT_ROOT, pb


def command_paths(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """``()`` for ``paperboard`` itself, then every group and command below it, depth first.
    (Typer builds the commands with a click of its own: a group is a ``TyperGroup``.)"""
    yield path
    if isinstance(command, TyperGroup):
        for name, subcommand in command.commands.items():
            yield from command_paths(subcommand, (*path, name))


COMMAND_PATHS = list(command_paths(typer.main.get_command(app)))
LEAF_COMMANDS = [
    path
    for path in COMMAND_PATHS
    if path and not any(other[: len(path)] == path for other in COMMAND_PATHS if other != path)
]
DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def invocation(path: tuple[str, ...]) -> str:
    return " ".join(("paperboard", *path))


def test_the_walk_finds_the_commands_and_subcommands() -> None:
    # A walk that stopped at the top level would pass every other test here vacuously.
    assert ("ingest",) in COMMAND_PATHS
    assert ("index", "rebuild") in LEAF_COMMANDS and ("index",) not in LEAF_COMMANDS
    assert ("token", "revoke") in LEAF_COMMANDS
    assert len(LEAF_COMMANDS) >= 26


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=invocation)
def test_help_has_an_example_of_the_command(path: tuple[str, ...]) -> None:
    # Wide enough that rich does not wrap an example (it reads COLUMNS, not terminal_width).
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    examples = re.findall(r"^\s*Example: (.*)$", result.output, re.M)
    assert examples, f"`{invocation(path)} --help` shows no 'Example:' line:\n{result.output}"
    shows_itself = re.compile(rf"(^|[\s|&;]){re.escape(invocation(path))}(\s|$)")
    assert any(shows_itself.search(example) for example in examples), examples


@pytest.mark.parametrize("path", LEAF_COMMANDS, ids=invocation)
def test_command_is_documented(path: tuple[str, ...]) -> None:
    mention = re.compile(rf"(^|[\s`/]){re.escape(invocation(path))}(\s|`|$)", re.M)
    documented = [doc.name for doc in DOCS if mention.search(doc.read_text(encoding="utf-8"))]
    assert documented, f"`{invocation(path)}` is in neither README.md nor docs/*.md"


def test_help_runs_as_a_program(tmp_path: Path) -> None:
    result = pb(tmp_path, "ingest", "--help")
    assert result.returncode == 0
    assert "Example:" in result.stdout
    assert "arxiv-id:ID" in result.stdout
