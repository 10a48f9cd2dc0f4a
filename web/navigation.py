"""The top navigation: blueprints register their entries, the base template lists them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user


@dataclass(frozen=True, slots=True)
class NavEntry:
    label: str
    endpoint: str
    admin_only: bool = False


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    url: str
    active: bool


_ENTRIES: list[NavEntry] = []


def register_nav(label: str, endpoint: str, *, admin_only: bool = False) -> None:
    entry = NavEntry(label, endpoint, admin_only)
    if entry not in _ENTRIES:
        _ENTRIES.append(entry)


def nav_items() -> list[NavItem]:
    blueprint = request.blueprints[0] if request.blueprints else None
    items = []
    for entry in _ENTRIES:
        if entry.admin_only and not current_user.is_admin:
            continue
        items.append(
            NavItem(
                entry.label,
                url_for(entry.endpoint),
                active=blueprint == entry.endpoint.split(".")[0],
            )
        )
    return items


def init_app(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
