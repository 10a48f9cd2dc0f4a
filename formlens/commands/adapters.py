"""``formlens adapters``: the LoRA adapter registry from the shell (list, upload, activate,
roll back), with the admin panel's checks and audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import click

from core.settings import Settings
from formlens.commands.admin_support import BY_OPTION, actor_id, admin_services, run_use_case
from models import Adapter
from models.adapter_registry import adapter_summary, find_adapter
from web.services.admin_adapters import (
    AdapterUpload,
    activate_adapter,
    base_name,
    configured_base,
    list_adapters,
    rollback_type,
    store_of,
    upload_adapter,
    upload_folder,
)
from web.services.admin_common import AdminRefused, get_type


@click.group()
def adapters() -> None:
    """LoRA adapters of the document types."""


@adapters.command("list")
@click.option("--type", "type_name", default=None, help="Only this document type.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def adapters_list(settings: Settings, type_name: str | None, as_json: bool) -> None:
    """Every adapter version, newest first per type."""
    with admin_services(settings) as services, services.database.session() as session:
        rows = list_adapters(session, type_name)
        for adapter in rows:
            summary = adapter_summary(adapter)
            if as_json:
                click.echo(json.dumps(summary | {"metrics": adapter.metrics}))
                continue
            accuracy = (adapter.metrics.get("candidate") or {}).get("all_field_accuracy")
            click.echo(
                f"{summary['key']:<20} {summary['status']:<10} {summary['source']:<9} "
                f"r={summary['rank']:<4} {summary['size_bytes']:>12} B  "
                f"accuracy={'-' if accuracy is None else f'{accuracy:.3f}'}  "
                f"activated={summary['activated_at'] or '-'}"
            )
        if not rows and not as_json:
            click.echo("no adapters")


@adapters.command("upload")
@click.argument("type_name", metavar="TYPE")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--activate", is_flag=True, help="Make it the active version right away.")
@BY_OPTION
@click.pass_obj
def adapters_upload(
    settings: Settings, type_name: str, source: Path, activate: bool, by_email: str | None
) -> None:
    """Check and register SOURCE (a peft folder, or a .zip / .tar.gz of one) for TYPE."""
    with admin_services(settings) as services:
        upload = AdapterUpload(type_name, actor_id(services, by_email), activate)
        if source.is_dir():
            adapter_id = run_use_case(services, lambda: upload_folder(services, source, upload))
        else:
            with source.open("rb") as stream:
                adapter_id = run_use_case(
                    services, lambda: upload_adapter(services, stream, upload)
                )
        with services.database.session() as session:
            adapter = session.get_one(Adapter, adapter_id)
            click.echo(f"registered {adapter.key} ({adapter.status})")


@adapters.command("activate")
@click.argument("type_name", metavar="TYPE")
@click.argument("version", type=int)
@BY_OPTION
@click.pass_obj
def adapters_activate(
    settings: Settings, type_name: str, version: int, by_email: str | None
) -> None:
    """Make VERSION of TYPE the active adapter."""
    with admin_services(settings) as services:
        with services.database.session() as session:
            found = find_adapter(session, type_name, version)
            if found is None:
                raise click.ClickException(f"{type_name} has no version {version}")
            adapter_id = found.id
        actor = actor_id(services, by_email)
        key = run_use_case(services, lambda: activate_adapter(services, adapter_id, actor))
    click.echo(f"{key} is active")


@adapters.command("rollback")
@click.argument("type_name", metavar="TYPE")
@click.option(
    "--to", "version", type=int, default=None, help="This version (default: the one before)."
)
@BY_OPTION
@click.pass_obj
def adapters_rollback(
    settings: Settings, type_name: str, version: int | None, by_email: str | None
) -> None:
    """Roll TYPE back to the version active before the current one (or none)."""
    with admin_services(settings) as services:
        actor = actor_id(services, by_email)
        key = run_use_case(services, lambda: rollback_type(services, type_name, actor, version))
    click.echo(f"{key} is active" if key else f"{type_name} has no active adapter now")


@adapters.command("describe-base")
@click.option("--type", "type_name", default=None, help="The base of this type (its override).")
@click.pass_obj
def adapters_describe_base(settings: Settings, type_name: str | None) -> None:
    """Describe the base model and publish the description for hosts without its weights."""
    with admin_services(settings) as services:
        name = settings.paligemma_model
        if type_name:
            with services.database.session() as session:
                name = base_name(settings, get_type(session, type_name))
        try:
            base = configured_base(settings, name)
        except AdminRefused as refused:
            raise click.ClickException(str(refused)) from None
        store_of(settings).publish_base(name, base.to_json())
    click.echo(f"{base.name} {base.fingerprint} ({base.family}, {base.image_size} px)")
