"""docker-compose.yml cannot run here, so it is checked by reading: every FormLens command in
it is one the CLI accepts, and every FORMLENS_ variable is a setting."""

from pathlib import Path

import click
import yaml

from core.settings import Settings
from formlens.cli import cli

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[3] / "docker-compose.yml").read_text())


def formlens_commands() -> list[list[str]]:
    commands = [service.get("command") for service in COMPOSE["services"].values()]
    return [c[1:] for c in commands if c and c[0] == "formlens"]


def test_every_formlens_command_in_compose_parses() -> None:
    commands = formlens_commands()
    assert {c[0] for c in commands} >= {"serve", "worker", "beat", "db"}
    for argv in commands:
        command: click.Command = cli
        rest = list(argv)
        while isinstance(command, click.Group) and rest and rest[0] in command.commands:
            command, rest = command.commands[rest[0]], rest[1:]
        assert not isinstance(command, click.Group), f"incomplete command {argv}"
        command.make_context(command.name, rest)  # raises on unknown options


def test_every_formlens_variable_in_compose_is_a_setting() -> None:
    names = set()
    for service in COMPOSE["services"].values():
        names |= {k for k in (service.get("environment") or {}) if k.startswith("FORMLENS_")}
    fields = {f"FORMLENS_{name.upper()}" for name in Settings.model_fields}
    assert names and names <= fields, names - fields


def test_workers_cover_every_queue() -> None:
    from worker.celery_app import QUEUES  # noqa: PLC0415

    consumed = set()
    for argv in formlens_commands():
        if argv[0] == "worker":
            consumed |= set(argv[argv.index("--queues") + 1].split(","))
    assert consumed == set(QUEUES)
