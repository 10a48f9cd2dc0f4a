"""``formlens users``: create people and API tokens from the shell."""

from __future__ import annotations

import click

from core.settings import Settings
from models import Database, Role, User
from models.accounts import SCOPES, AccountError, create_token, create_user


@click.group()
def users() -> None:
    """Users and API tokens."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STAFF.value)
@click.option("--name", default="")
@click.password_option(help="At least 10 characters.")
@click.pass_obj
def users_create(settings: Settings, email: str, role: str, name: str, password: str) -> None:
    """Create a user who logs in with EMAIL."""
    database = Database(settings.effective_database_url)
    try:
        with database.session() as session:
            create_user(session, email, password, Role(role), name)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {role} {email}")


@users.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="What the token is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    default=("documents:read", "documents:write"),
    show_default=True,
)
@click.pass_obj
def users_token(settings: Settings, email: str, name: str, scopes: tuple[str, ...]) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is kept)."""
    database = Database(settings.effective_database_url)
    try:
        with database.session() as session:
            user = session.query(User).filter_by(email=email.strip().lower()).one_or_none()
            if user is None:
                raise click.ClickException(f"no user {email}")
            _, token = create_token(session, user, name, scopes)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(token)
