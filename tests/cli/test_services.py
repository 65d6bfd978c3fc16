"""cli/services.py: the modules the commands call are imported on first use, so that
``paperboard --help`` stays quick; each lazy name stands for a module that exists."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paperboard.cli import services
from paperboard.cli.services import LazyModule

LAZY = {name: value for name, value in vars(services).items() if isinstance(value, LazyModule)}
# What makes `paperboard --help` slow when imported (services.py's docstring has the numbers).
HEAVY = ("sqlalchemy", "alembic", "numpy", "tantivy", "onnxruntime", "httpx", "uvicorn")

HELP_THEN_LIST_MODULES = """
import json, sys
from typer.testing import CliRunner
from paperboard.cli import app
for command in ([], ["ingest"], ["check"], ["user", "create"], ["digest", "send"]):
    assert CliRunner().invoke(app, [*command, "--help"]).exit_code == 0
print(json.dumps(sorted(sys.modules)))
"""


def test_help_imports_no_heavy_module() -> None:
    # A fresh process: this one has imported everything already.
    result = subprocess.run(
        [sys.executable, "-c", HELP_THEN_LIST_MODULES],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    imported = json.loads(result.stdout)
    assert "paperboard.cli.ingest" in imported  # the commands themselves were loaded
    assert [name for name in imported if name.split(".")[0] in HEAVY] == []
    assert "paperboard.runtime" not in imported


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_name_stands_for_a_module(name: str) -> None:
    module = LAZY[name]
    assert module.__name__.split(".")[0] in ("paperboard", "uvicorn")  # imports it
    assert module.__name__ in sys.modules


def test_lazy_module_is_the_module() -> None:
    assert services.stats.collect_stats is sys.modules["paperboard.ops.stats"].collect_stats
