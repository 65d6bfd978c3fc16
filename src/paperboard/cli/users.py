"""``paperboard user`` and ``paperboard token``: accounts and API tokens for operators.

They open the database only, not the whole runtime: opening the keyword index may rewrite it
(an old schema is wiped), which a running server must not see happen.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from paperboard.cli import services
from paperboard.cli.support import cli_settings, fail
from paperboard.community.errors import CommunityError, NotFound

if TYPE_CHECKING:
    from paperboard.community.service import Community

app = typer.Typer()
user_app = typer.Typer(
    help="Accounts: create one, make a password-reset link, change a role.\n\n"
    "Example: echo 'long passphrase' | paperboard user create ada --email ada@example.org "
    "--password-stdin --role admin",
    no_args_is_help=True,
)
token_app = typer.Typer(
    help="API tokens for the write API (Authorization: Bearer <token>).\n\n"
    "Example: paperboard token create ada --name 'submit script'",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


class Role(StrEnum):
    user = "user"
    curator = "curator"
    admin = "admin"


@contextmanager
def _community() -> Iterator[Community]:
    settings = cli_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = services.database.Database(settings.database_url)
    try:
        yield services.community_service.Community.from_settings(settings, db)
    except CommunityError as exc:
        raise fail(exc.message) from None
    finally:
        db.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line, without its line ending: `echo pw | ...` and a file both work.
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="2-39 letters, digits, '-' or '_'.")],
    email: Annotated[str, typer.Option("--email", help="For password resets.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
    role: Annotated[Role, typer.Option(help="user, curator or admin.")] = Role.user,
) -> None:
    """Create an account (without --password-stdin the password is asked for, hidden).

    Example: echo 'long passphrase' | paperboard user create ada --email ada@example.org
    --password-stdin --role curator
    """
    password = _read_password(password_stdin)
    with _community() as community:
        user = community.accounts.create_user(username, email, password, role.value)
    typer.echo(f"created {user.role} {user.username} (id {user.id})")


@user_app.command("reset-link")
def user_reset_link(
    user: Annotated[str, typer.Argument(help="A username or the account's email address.")],
) -> None:
    """Print a password-reset link (valid for an hour, once) to pass to the account's owner.

    Example: paperboard user reset-link ada
    """
    with _community() as community:
        typer.echo(community.accounts.reset_link(user))


@user_app.command("role")
def user_role(
    username: Annotated[str, typer.Argument(help="The account.")],
    role: Annotated[Role, typer.Argument(help="user, curator or admin.")],
) -> None:
    """Change an account's role (curators feature papers and hide comments).

    Example: paperboard user role ada curator
    """
    with _community() as community:
        user = community.accounts.set_role(username, role.value)
    typer.echo(f"{user.username} is now {user.role}")


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The account.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
) -> None:
    """Disable an account: it cannot sign in, its sessions end and its tokens stop working.

    Example: paperboard user disable spammer
    """
    with _community() as community:
        user = community.accounts.set_disabled(username, not enable)
    typer.echo(f"{user.username} is {'enabled' if user.is_active else 'disabled'}")


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    expires_days: Annotated[
        int | None, typer.Option(help="Days until it stops working (default: never).")
    ] = None,
) -> None:
    """Create an API token and print it (only now: it is stored hashed).

    Example: paperboard token create ada --name 'submit script' --expires-days 90
    """
    # Imported when the command runs, as _community() does: `paperboard --help` stays quick.
    from paperboard.community.tokens import expiry_in_days

    with _community() as community:
        expires_in = expiry_in_days(expires_days) if expires_days is not None else None
        info, token = community.tokens.create_for(username, name, expires_in=expires_in)
    typer.echo(f"token {info.id} for {username}:", err=True)
    typer.echo(token)


@token_app.command("list")
def token_list(username: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """List an account's tokens (id, start of the token, name, state, expiry).

    Example: paperboard token list ada
    """
    with _community() as community:
        user = community.accounts.by_username(username)
        if user is None:
            raise NotFound(f"No account {username!r}.")
        now = community.context.clock()
        for info in community.tokens.tokens_of(user):
            expiry = f"expires {info.expires_at:%Y-%m-%d %H:%M}" if info.expires_at else "no expiry"
            line = f"{info.id}\t{info.prefix}…\t{info.name}\t{info.state_at(now)}\t{expiry}"
            typer.echo(line)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[
        int | None, typer.Argument(help="The token's id (see `token list`).")
    ] = None,
    token_stdin: Annotated[
        bool, typer.Option("--token-stdin", help="Read the token itself from standard input.")
    ] = False,
) -> None:
    """Revoke a token by its id, or by the token itself (one found in a log, say).

    Example: paperboard token revoke 3
    """
    if (token_id is None) == (not token_stdin):
        raise fail("give a token id or --token-stdin (one of them)")
    with _community() as community:
        if token_id is not None:
            info = community.tokens.revoke(token_id, by=None)
        else:
            info = community.tokens.revoke_token(sys.stdin.readline().strip())
    typer.echo(f"revoked token {info.id} ({info.prefix}…)")
