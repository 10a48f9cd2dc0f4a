"""Reading the admin's HTML forms into the plain values the use cases take.

The forms are hand-made (a field editor with rows is easier to read than a nested WTForms
tree); CSRFProtect checks every POST all the same. What is wrong is raised as the use cases'
own refusals, with messages for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.doctypes import FieldSpec
from core.training_params import TrainingParams
from models import Role
from web.services.admin_common import AdminRefused
from web.services.admin_training import check_params
from web.services.admin_types import InvalidType, TypeData, parse_field_rows
from web.services.admin_users import NewUser

TRAINING_FIELDS = (
    "rank",
    "alpha",
    "target_modules",
    "epochs",
    "learning_rate",
    "batch_size",
    "lora_dropout",
    "max_examples",
    "synthetic_documents",
    "eval_fraction",
    "seed",
)
BLANK_ROWS = 3  # empty rows under the fields, to add new ones


def checked(form: Mapping[str, str], name: str) -> bool:
    return form.get(name) in {"on", "true", "1", "yes"}


def type_data(form: Mapping[str, str]) -> TypeData:
    try:
        threshold = float(form.get("review_threshold") or "")
    except ValueError:
        raise InvalidType(["The review threshold must be a number between 0 and 1."]) from None
    return TypeData(
        label=(form.get("label") or "").strip()[:255],
        fields=parse_field_rows(form, "fields"),
        line_item_fields=parse_field_rows(form, "items"),
        engine=form.get("engine") or "",
        prompt=(form.get("prompt") or "").strip(),
        review_threshold=threshold,
        use_embedded_xml=checked(form, "use_embedded_xml"),
        base_model=(form.get("base_model") or "").strip(),
        auto_promote=checked(form, "auto_promote"),
    )


def field_rows(specs: tuple[FieldSpec, ...]) -> list[dict[str, Any]]:
    """Rows for the field editor: the fields, then a few blank ones."""
    rows: list[dict[str, Any]] = [
        {"name": s.name, "kind": s.kind.value, "required": s.required, "label": s.label}
        for s in specs
    ]
    return rows + [{"name": "", "kind": "text", "required": False, "label": ""}] * BLANK_ROWS


def posted_rows(form: Mapping[str, str], group: str) -> list[dict[str, Any]]:
    """The editor's rows as they were posted (to show a refused form again)."""
    rows = []
    for index in range(1000):
        name = form.get(f"{group}-{index}-name")
        if name is None:
            break
        rows.append(
            {
                "name": name,
                "kind": form.get(f"{group}-{index}-kind") or "text",
                "required": checked(form, f"{group}-{index}-required"),
                "label": form.get(f"{group}-{index}-label") or "",
            }
        )
    return rows


def training_params(form: Mapping[str, str]) -> TrainingParams:
    raw: dict[str, Any] = {name: form[name] for name in TRAINING_FIELDS if form.get(name)}
    raw["vision"] = checked(form, "vision")
    return check_params(raw)


def new_user(form: Mapping[str, str]) -> NewUser:
    try:
        role = Role(form.get("role") or Role.STAFF.value)
    except ValueError:
        raise AdminRefused("Unknown role.", 422) from None
    return NewUser(
        email=(form.get("email") or "").strip(), name=(form.get("name") or "").strip(), role=role
    )
