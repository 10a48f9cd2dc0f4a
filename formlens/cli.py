"""The ``formlens`` command: one group, one module per command family."""

from __future__ import annotations

import logging

import click

from core.settings import load_settings
from formlens.commands import adapters, db, dev, extract, run, serve, train, users
from formlens.commands import eval as eval_command


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """FormLens: read invoices and receipts, review them, export them."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = load_settings()


COMMANDS = (
    adapters.adapters,
    db.db,
    dev.dev,
    eval_command.evaluate,
    extract.extract,
    run.run,
    serve.serve,
    serve.worker,
    serve.beat,
    train.train,
    users.users,
)
for command in COMMANDS:
    cli.add_command(command)


def main() -> None:
    cli()
