"""``paperboard digest``: preview a subscriber's digest, or send a period's digests.

A Typer sub-app; ``cli.py`` adds it with ``app.add_typer(digest_app, name="digest")``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

import typer

from paperboard.cli_support import cli_runtime as _runtime
from paperboard.cli_support import fail as _fail

digest_app = typer.Typer(
    help="Email digests: preview what a subscriber gets, send a period's digests.\n\n"
    "Example: paperboard digest send --frequency daily",
    no_args_is_help=True,
)

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
        raise _fail(f"--date {text!r} is not YYYY-MM-DD") from None


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
    from paperboard.domain.addresses import InvalidAddress, normalize_address
    from paperboard.mail.compose import Composer, MailConfig, links_for
    from paperboard.mail.delivery import default_period, load_period
    from paperboard.mail.digest import period_for_date
    from paperboard.mail.render import Recipient
    from paperboard.mail.semantic_topics import default_matcher
    from paperboard.storage import subscriptions

    try:
        address = normalize_address(email)
    except InvalidAddress:
        raise _fail(f"{email!r} is not an email address") from None
    chosen_day = _day(day)
    runtime = _runtime()
    try:
        with runtime.db.read() as connection:
            subscriber = subscriptions.get_by_email(connection, address)
        if subscriber is None:
            raise _fail(f"{address} is not subscribed")
        kind = frequency.value if frequency else subscriber.frequency
        if chosen_day is not None:
            period = period_for_date(kind, chosen_day)
        else:
            period = default_period(runtime.db, kind, datetime.now(UTC).date())
        if period is None:
            typer.echo("nothing would be sent: no board day has papers yet", err=True)
            return
        matcher = default_matcher(runtime.settings.embedder)
        digest = load_period(runtime.db, kind, period, matcher)
        selection = digest.select(subscriber.topics)
        if not selection:
            reason = "the period is empty" if digest.is_empty else "no paper matches the topics"
            typer.echo(f"nothing would be sent for {period.key}: {reason}", err=True)
            return
        if not subscriber.is_confirmed:
            typer.echo(f"note: {address} is {subscriber.status}; it gets no digest", err=True)
        composer = Composer(MailConfig.from_settings(runtime.settings))
        if raw:
            message = composer.digest(
                digest,
                selection,
                subscriber_id=subscriber.id,
                email=subscriber.email,
                topics=subscriber.topics,
            )
            typer.echo(message.data.decode("ascii", "replace").replace("\r\n", "\n"), nl=False)
            return
        links = links_for(composer.config, subscriber.id, subscriber.email)
        recipient = Recipient(
            subscriber.email, subscriber.topics.describe(), links.unsubscribe_url, links.manage_url
        )
        rendered = composer.renderer.digest(digest, selection, recipient, keep_layout=True)
        if html:
            typer.echo(rendered.html, nl=False)
            return
        typer.echo(f"To: {subscriber.email}\nSubject: {rendered.subject}\n")
        typer.echo(rendered.text, nl=False)
    finally:
        runtime.close()


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
    from paperboard.mail.compose import MailConfig
    from paperboard.mail.delivery import default_period, run_digest
    from paperboard.mail.digest import period_for_date
    from paperboard.mail.semantic_topics import default_matcher
    from paperboard.mail.smtp import SmtpSender

    chosen_day = _day(day)
    runtime = _runtime()
    try:
        settings = runtime.settings
        if settings.smtp_url is None:
            raise _fail("PAPERBOARD_SMTP_URL is not set: there is no mail server to send with")
        sender = SmtpSender.from_url(settings.smtp_url.reveal())
        kind = frequency.value
        if chosen_day is not None:
            period = period_for_date(kind, chosen_day)
        else:
            period = default_period(runtime.db, kind, datetime.now(UTC).date())
        report = run_digest(
            runtime.db,
            sender,
            MailConfig.from_settings(settings),
            kind,
            period,
            connections=connections,
            matcher=default_matcher(settings.embedder),
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
