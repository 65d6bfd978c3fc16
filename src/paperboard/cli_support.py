"""What every CLI module shares: the error exit, and settings with logging set up."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import typer

from paperboard.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from paperboard.runtime import Runtime

# The command failed (1 is each command's "partly": some records skipped, some mail failed).
EXIT_FAILED = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def fail(message: str) -> typer.Exit:
    """``raise fail("...")``: one line on stderr, exit status 2."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_FAILED)


def cli_settings() -> Settings:
    """Settings from the environment (an invalid one is a one-line error), logging set up."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    logging.basicConfig(level=settings.log_level.upper(), format=LOG_FORMAT)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


def cli_runtime() -> Runtime:
    from paperboard.runtime import open_runtime

    return open_runtime(cli_settings())
