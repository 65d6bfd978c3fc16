"""``paperboard digest``: preview a subscriber's digest, or send a period's digests."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Annotated

import typer

from paperboard.cli import services
from paperboard.cli.support import cli_runtime, fail

app = typer.Typer()
digest_app = typer.Typer(
    help="Email digests: preview what a subscriber gets, send a period's digests.\n\n"
    "Example: paperboard digest send --frequency daily",
    no_args_is_help=True,
)
app.add_typer(digest_app, name="digest")

# Exit statuses, as for ingest: 0 all went out, 1 some failed (retrying or bounced), 2 error.
EXIT_SOME_FAILED = 1


class Frequency(StrEnum):
    daily = "daily"
    weekly = "weekly"


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--date {text!r} is not YYYY-MM-DD") from None


DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="A day of the period: the board day (daily) or a day of the ISO week (weekly). "
        "Default: the latest complete board day / the last complete week.",
    ),
]


@digest_app.command("preview")
def preview(
    email: Annotated[str, typer.Argument(help="A subscriber's email address.")],
    frequency: Annotated[
        Frequency | None, typer.Option(help="Default: the subscriber's own.")
    ] = None,
    day: DateOption = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part.")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Print the whole message (MIME).")] = False,
) -> None:
    """Print the digest EMAIL would get; nothing is sent and nothing is recorded.

    Example: paperboard digest preview ada@example.org --date 2026-11-20
    """
    chosen_day = _day(day)
    runtime = cli_runtime()
    try:
        preview = services.digest_preview.preview_digest(
            runtime.db,
            runtime.settings,
            runtime.topic_matcher,
            email,
            frequency.value if frequency else None,
            chosen_day,
        )
    except services.digest_preview.PreviewError as exc:
        raise fail(str(exc)) from None
    finally:
        runtime.close()
    reason = preview.nothing_sent_because
    if preview.period is None:
        typer.echo(f"nothing would be sent: {reason}", err=True)
        return
    if reason is not None:
        typer.echo(f"nothing would be sent for {preview.period.key}: {reason}", err=True)
        return
    subscriber = preview.subscriber
    if not subscriber.is_confirmed:
        typer.echo(f"note: {subscriber.email} is {subscriber.status}; it gets no digest", err=True)
    if raw:
        message = preview.message()
        typer.echo(message.data.decode("ascii", "replace").replace("\r\n", "\n"), nl=False)
        return
    rendered = preview.rendered()
    if html:
        typer.echo(rendered.html, nl=False)
        return
    typer.echo(f"To: {subscriber.email}\nSubject: {rendered.subject}\n")
    typer.echo(rendered.text, nl=False)


@digest_app.command("send")
def send(
    frequency: Annotated[Frequency, typer.Option(help="Which digest to send.")],
    day: DateOption = None,
    connections: Annotated[
        int, typer.Option(min=1, max=16, help="SMTP connections to use at once.")
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Send a period's digest to every confirmed subscriber of FREQUENCY, and retry earlier
    temporary failures that are due. Safe to rerun, also after a crash: no address gets a
    period's digest twice.

    Exit status: 0 all went out, 1 some failed (they retry later, or bounced), 2 error.

    Example: paperboard digest send --frequency weekly --date 2026-11-16
    """
    chosen_day = _day(day)
    runtime = cli_runtime()
    try:
        sender = runtime.mail_sender
        if sender is None:
            raise fail("PAPERBOARD_SMTP_URL is not set: there is no mail server to send with")
        kind = frequency.value
        period = services.digest_preview.digest_period(runtime.db, kind, chosen_day)
        report = services.mail_delivery.run_digest(
            runtime.db,
            sender,
            runtime.mail_config,
            kind,
            period,
            connections=connections,
            matcher=runtime.topic_matcher,
        )
    finally:
        runtime.close()
    label = f"{kind} {period.key}" if period else f"{kind} (no board day yet)"
    if as_json:
        typer.echo(json.dumps({"period": period.key if period else None, **report.as_dict()}))
    else:
        empty = " (empty period: nothing to send)" if period and not report.enqueued else ""
        typer.echo(f"{label}: {report.enqueued} enqueued{empty}; {report.summary()}")
    if report.failures:
        raise typer.Exit(EXIT_SOME_FAILED)
