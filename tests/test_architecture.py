"""The layout the architecture promises (docs/architecture.md): small modules, a package root
with only entry points and settings, and services built in one place (runtime.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import paperboard

SRC = Path(paperboard.__file__).parent
MAX_MODULE_LINES = 500
ROOT_MODULES = {"__init__.py", "asgi.py", "runtime.py"}
ROOT_PACKAGES = {"config"}
# What only the composition root (and the web app factory, for web-only parts) constructs.
SERVICES = (
    "Community(",
    "SearchService(",
    "SmtpSender.from_url(",
    "MailQueue(",
    "AccountMails(",
    "Subscriptions(",
    "Reader(",
)


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_package_root_holds_entry_points_and_settings_only() -> None:
    modules = {p.name for p in SRC.glob("*.py")}
    assert modules == ROOT_MODULES
    # Every other folder is a layer's package (see the import-linter contracts).
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert packages >= ROOT_PACKAGES


def test_services_are_constructed_only_by_the_composition_root() -> None:
    """``Community(...)``, ``SearchService(...)``, an SMTP sender... appear in runtime.py (and
    in the factories they own), never in a handler, a job or a command."""
    allowed = {
        "runtime.py",
        "community/service.py",  # Community.from_settings
        "search/service.py",  # open_search_service
        "mail/smtp.py",  # SmtpSender.from_url
        "reading/service.py",
    }
    found = []
    for path in _modules():
        name = str(path.relative_to(SRC))
        if name in allowed:
            continue
        text = path.read_text()
        found += [f"{name}: {s}" for s in SERVICES if re.search(rf"\b{re.escape(s)}", text)]
    assert found == []


def test_imports_sit_at_the_top_of_modules() -> None:
    """Function-level imports hide dependencies from readers and from import-linter; the few
    kept are lazy on purpose (measured start-up cost) and say why on the line above."""
    lazy = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        lines = path.read_text().splitlines()
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom) and inner is not node:
                    above = [
                        line.strip() for line in lines[max(0, inner.lineno - 4) : inner.lineno - 1]
                    ]
                    if not any(line.startswith("#") for line in above):
                        lazy.append(f"{path.relative_to(SRC)}:{inner.lineno}")
    assert lazy == [], "import at the top, or say why it is lazy in a comment above it"
