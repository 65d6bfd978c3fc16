"""What the command modules share: the error exit, settings with logging set up, the runtime,
a progress display."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from paperboard.cli import services
from paperboard.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from paperboard.runtime import Runtime

# The command failed (1 is each command's "partly": some records skipped, some mail failed).
EXIT_FAILED = 2
# Ctrl-C: what a shell reports for a process ended by SIGINT.
EXIT_INTERRUPTED = 130
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("paperboard")


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
    """The services of this process (paperboard.runtime), from the environment's settings."""
    return services.runtime.open_runtime(cli_settings())


class ProgressDisplay:
    """A progress bar on a terminal (count, rate, ETA); plain log lines otherwise."""

    LOG_EVERY_S = 5.0

    def __init__(self, total: int | None, label: str = "ingest", unit: str = "papers") -> None:
        self.total = total
        self.label = label
        self.started = time.monotonic()
        self.last_log = self.started  # a first line after LOG_EVERY_S of work, not at once
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        if sys.stderr.isatty():
            self.bar = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>8} " + unit + "/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self.task = self.bar.add_task(label, total=total, rate="")
            self.bar.start()

    def set_total(self, total: int) -> None:
        """The total, once known (a job that counts what is pending first)."""
        self.total = total
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, total=total)

    def __call__(self, seen: int, report: object = None) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = seen / elapsed
        done = getattr(report, "done", False)  # a LoadReport's last call: the summary follows
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=seen, rate=f"{rate:,.0f}")
        elif not done and time.monotonic() - self.last_log >= self.LOG_EVERY_S:
            self.last_log = time.monotonic()
            eta = ""
            if self.total and rate and seen < self.total:
                eta = f", ETA {(self.total - seen) / rate:,.0f}s"
            log.info("%s: %s records, %s/s%s", self.label, f"{seen:,}", f"{rate:,.0f}", eta)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
