"""``jobmatch users ...``: API accounts, their bearer tokens and console passwords."""

from __future__ import annotations

from typing import Annotated

import typer

from matching.store import open_store
from serving.auth import Role
from serving.cli.common import settings_of

group = typer.Typer(help="API accounts and their bearer tokens.")


def _password_from_stdin() -> str:
    """The first line of standard input, without its line ending (never echoed)."""
    import sys

    line = sys.stdin.readline()
    return line.rstrip("\r\n")


PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read a console sign-in password from the first line of standard input.",
    ),
]


@group.command("create")
def users_create_command(
    ctx: typer.Context,
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    name: Annotated[str | None, typer.Option(help="Who uses it (default: the role).")] = None,
    region: Annotated[
        str | None, typer.Option(help="Counselors: region code prefix they work in.")
    ] = None,
    employer: Annotated[
        str | None, typer.Option(help="Employer accounts: the employer id.")
    ] = None,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Make an account; its bearer token is the last line of output (shown only once). With
    --password-stdin it can also sign in to the web console under its name."""
    from serving.auth import AccountError, create_account_in, issue_token
    from serving.signin import PasswordRejected, set_password

    password = _password_from_stdin() if password_stdin else None
    store = open_store(settings_of(ctx))
    try:
        with store.session() as session:
            account = create_account_in(
                session,
                name=name or role.value,
                role=role,
                region=region,
                employer=employer,
            )
            if password is not None:
                set_password(store, session, account, password, actor="cli")
            token = issue_token(session, account.id)
    except (AccountError, PasswordRejected) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    scope = account.region_code or account.employer_id or "all"
    signin = f", console sign-in as {account.name!r}" if password is not None else ""
    typer.echo(f"account {account.id} ({account.role.value}, {scope}{signin}); bearer token:")
    typer.echo(token)


@group.command("set-password")
def users_set_password_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account's name.")],
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Set (or reset) an account's console password, read from standard input; this clears a
    lock-out and signs the account out of every browser."""
    from serving.signin import PasswordRejected, find_account, set_password

    if not password_stdin:
        typer.echo("error: pass --password-stdin and the password on standard input", err=True)
        raise typer.Exit(2)
    password = _password_from_stdin()
    store = open_store(settings_of(ctx))
    try:
        with store.session() as session:
            account = find_account(session, name)
            if account is None:
                typer.echo(f"error: no account named {name!r}", err=True)
                raise typer.Exit(2)
            set_password(store, session, account, password, actor="cli")
    except PasswordRejected as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    typer.echo(f"password set for account {account.id} ({account.name})")
