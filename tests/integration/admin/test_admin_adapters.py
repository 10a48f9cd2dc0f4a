"""The adapter registry: upload (API and page), activate, roll back, retire, and bad archives
refused with a clear message and nothing written outside the adapter store."""

from __future__ import annotations

import io
import shutil
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest
import torch
from flask.testing import FlaskClient
from sqlalchemy import select

from core.settings import Settings
from models import AuditEntry, Database, DocumentType, Event
from models.catalog import load_specs
from tests.conftest import create_test_app, csrf_token, make_settings, token_for
from tests.support.training import zip_folder

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database: Database, admin: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}


@pytest.fixture(scope="module")
def other_base_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An adapter trained on another base of the same architecture (other weights)."""
    from worker.engines.paligemma.tiny import build_tiny_adapter, build_tiny_checkpoint  # noqa: PLC0415

    root = tmp_path_factory.mktemp("other-base")
    other = build_tiny_checkpoint(root / "model", image_size=448, seed=7)
    return build_tiny_adapter(other, root / "adapter")


def upload(
    client: FlaskClient,
    api: dict[str, str],
    data: bytes,
    type_name: str = "receipt",
    name: str = "adapter.zip",
    **form: str,
):
    return client.post(
        "/api/v1/admin/adapters",
        headers=api,
        data={"file": (io.BytesIO(data), name), "type": type_name, **form},
    )


def tar_gz(folder: Path, extra: list[tarfile.TarInfo] = ()) -> bytes:  # type: ignore[assignment]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=f"adapter/{path.name}")
        for info in extra:
            tar.addfile(info)
    return buffer.getvalue()


def snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def test_upload_activate_roll_back_and_retire(
    client: FlaskClient,
    api: dict[str, str],
    tiny_adapter: Path,
    admin_settings: Settings,
    database: Database,
) -> None:
    first = upload(client, api, zip_folder(tiny_adapter))
    assert first.status_code == 201, first.json
    v1 = first.json
    assert (v1["key"], v1["status"], v1["source"]) == ("receipt@v1", "candidate", "upload")
    assert v1["base_model"].startswith("pgfp1:") and v1["rank"] == 4
    assert v1["target_modules"] == ["q_proj", "v_proj"]
    stored = admin_settings.adapter_dir / "receipt" / "v1"
    assert {"adapter_config.json", "adapter_model.safetensors"} <= {
        p.name for p in stored.iterdir()
    }
    second = upload(client, api, tar_gz(tiny_adapter), name="a.tar.gz", activate="true")
    assert second.status_code == 201 and second.json["status"] == "active"
    assert not (admin_settings.adapter_dir / ".staging").exists() or not any(
        (admin_settings.adapter_dir / ".staging").iterdir()
    )

    activated = client.post(f"/api/v1/admin/adapters/{v1['id']}/activate", headers=api)
    assert activated.status_code == 200 and activated.json["status"] == "active"
    assert activated.json["activated_by"] == "admin@example.com"
    with database.session() as session:
        specs = load_specs(session, admin_settings.adapter_dir)
        assert specs["receipt"].adapter is not None and specs["receipt"].adapter.key == "receipt@v1"
        assert Path(specs["receipt"].adapter.path) == stored  # where the workers look
        events = session.scalars(select(Event).where(Event.type == "adapter.activated")).all()
        assert [e.payload["adapter"]["key"] for e in events] == ["receipt@v2", "receipt@v1"]
        assert events[-1].payload["previous"] == "receipt@v2"

    back = client.post("/api/v1/admin/document-types/receipt/rollback", headers=api, json={})
    assert back.json == {"document_type": "receipt", "active_adapter": "receipt@v2"}
    chosen = client.post(
        "/api/v1/admin/document-types/receipt/rollback", headers=api, json={"version": 1}
    )
    assert chosen.json["active_adapter"] == "receipt@v1"
    busy = client.post(f"/api/v1/admin/adapters/{v1['id']}/retire", headers=api)
    assert busy.status_code == 409 and "roll back first" in busy.json["error"]["message"]
    retired = client.post(f"/api/v1/admin/adapters/{second.json['id']}/retire", headers=api)
    assert retired.status_code == 409  # v2 is retired already (replaced by v1)

    listed = client.get("/api/v1/admin/adapters?type=receipt", headers=api).json["items"]
    assert [(a["version"], a["status"]) for a in listed] == [(2, "retired"), (1, "active")]
    with database.session() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [
        "adapter.uploaded",
        "adapter.uploaded",
        "adapter.activated",
        "adapter.activated",
        "adapter.activated",
        "adapter.activated",
    ]


def test_rolling_back_the_only_version_leaves_no_adapter_and_again_undoes_it(
    client: FlaskClient, api: dict[str, str], tiny_adapter: Path, database: Database
) -> None:
    assert upload(client, api, zip_folder(tiny_adapter), "invoice", activate="1").status_code == 201
    back = client.post("/api/v1/admin/document-types/invoice/rollback", headers=api)
    assert back.json == {"document_type": "invoice", "active_adapter": None}
    with database.session() as session:
        invoice = session.scalars(select(DocumentType).where(DocumentType.name == "invoice")).one()
        assert invoice.active_adapter_id is None
        event = session.scalars(select(Event).order_by(Event.created_at.desc())).first()
        assert event is not None
        assert event.payload == {
            "document_type": "invoice",
            "adapter": None,
            "previous": "invoice@v1",
            "reason": "rollback",
        }
    undone = client.post("/api/v1/admin/document-types/invoice/rollback", headers=api)
    assert undone.json["active_adapter"] == "invoice@v1"  # rolling back twice undoes it


def test_the_page_uploads_and_activates(admin_client: FlaskClient, tiny_adapter: Path) -> None:
    token = csrf_token(admin_client, "/admin/adapters")
    response = admin_client.post(
        "/admin/adapters/upload",
        data={
            "csrf_token": token,
            "type": "receipt",
            "archive": (io.BytesIO(zip_folder(tiny_adapter)), "adapter.zip"),
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "The adapter was checked and registered." in page and "receipt@v1" in page
    activate = admin_client.post(
        "/admin/adapters/1/activate", data={"csrf_token": token}, follow_redirects=True
    )
    assert "receipt@v1 is active" in activate.get_data(as_text=True)
    audit = admin_client.get("/admin/audit?action=adapter.").get_data(as_text=True)
    assert "adapter.uploaded" in audit and "adapter.activated" in audit


# --- bad input -----------------------------------------------------------------------------------


def with_file(folder: Path, tmp_path: Path, name: str, data: bytes, drop: str = "") -> Path:
    copy = tmp_path / f"variant-{uuid.uuid4().hex[:6]}"
    shutil.copytree(folder, copy)
    if drop:
        (copy / drop).unlink()
    (copy / name).write_bytes(data)
    return copy


def escape_zip(folder: Path, target: str) -> bytes:
    buffer = io.BytesIO(zip_folder(folder))
    with zipfile.ZipFile(buffer, "a") as zipped:
        zipped.writestr(target, b'{"pwned": true}')
    return buffer.getvalue()


def symlink_tar(folder: Path) -> bytes:
    link = tarfile.TarInfo("adapter/README.md")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    return tar_gz(folder, [link])


def pickled(folder: Path, tmp_path: Path) -> bytes:
    buffer = io.BytesIO()
    torch.save({"lora_A.weight": torch.zeros(2, 2)}, buffer)
    return zip_folder(
        with_file(
            folder, tmp_path, "adapter_model.bin", buffer.getvalue(), "adapter_model.safetensors"
        )
    )


def corrupt(folder: Path, tmp_path: Path) -> bytes:
    data = (folder / "adapter_model.safetensors").read_bytes()
    return zip_folder(
        with_file(folder, tmp_path, "adapter_model.safetensors", data[: len(data) // 2])
    )


def bomb(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(folder / "adapter_config.json", "adapter_config.json")
        zipped.writestr("adapter_model.safetensors", bytes(64 * 1024 * 1024))
    return buffer.getvalue()


def test_bad_archives_are_refused_and_nothing_escapes(
    client: FlaskClient,
    api: dict[str, str],
    tiny_adapter: Path,
    other_base_adapter: Path,
    admin_settings: Settings,
    tmp_path: Path,
    database: Database,
) -> None:
    outside = Path("/tmp") / f"formlens-escape-{uuid.uuid4().hex}.json"
    cases = {
        "parent path": (escape_zip(tiny_adapter, "../../../../escape.json"), "'..'"),
        "deep parent path": (
            escape_zip(tiny_adapter, "../" * 12 + str(outside).lstrip("/")),
            "'..'",
        ),
        "absolute path": (escape_zip(tiny_adapter, str(outside)), "absolute paths are refused"),
        "symlink": (symlink_tar(tiny_adapter), "symbolic link; only plain files"),
        "pickle": (pickled(tiny_adapter, tmp_path), "pickled weights are refused"),
        "wrong base": (zip_folder(other_base_adapter), "the configured base is"),
        "corrupt safetensors": (corrupt(tiny_adapter, tmp_path), "truncated or corrupt"),
        "archive bomb": (bomb(tiny_adapter), "archive bomb"),
        "not an archive": (b"%PDF-1.7 not an archive", "only .zip and .tar.gz"),
    }
    data_dir = admin_settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    before = snapshot(tmp_path)
    for case, (archive, message) in cases.items():
        response = upload(client, api, archive)
        assert response.status_code == 422, (case, response.json)
        assert message in response.json["error"]["message"], (case, response.json)
    assert snapshot(tmp_path) == before
    assert not outside.exists()
    staging = admin_settings.adapter_dir / ".staging"
    assert not staging.exists() or list(staging.iterdir()) == []
    with database.session() as session:
        assert session.scalars(select(AuditEntry)).all() == []
    listed = client.get("/api/v1/admin/adapters", headers=api).json["items"]
    assert listed == []


def test_an_archive_over_the_size_limit_is_refused(
    tmp_path: Path,
    database: Database,
    redis_url: str,
    tiny_model: Path,
    tiny_adapter: Path,
    admin: int,
) -> None:
    small = make_settings(
        tmp_path / "data",
        database.url,
        redis_url,
        paligemma_model=str(tiny_model),
        adapter_upload_max_bytes=1024,
    )
    client = create_test_app(small).test_client()
    api = {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}
    response = upload(client, api, zip_folder(tiny_adapter))
    assert response.status_code == 413


def test_without_a_configured_base_uploads_are_refused(
    tmp_path: Path, database: Database, redis_url: str, tiny_adapter: Path, admin: int
) -> None:
    client = create_test_app(make_settings(tmp_path / "d", database.url, redis_url)).test_client()
    api = {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}
    response = upload(client, api, zip_folder(tiny_adapter))
    assert response.status_code == 409
    assert "FORMLENS_PALIGEMMA_MODEL" in response.json["error"]["message"]


def test_a_web_host_without_the_weights_checks_against_the_published_base(
    tmp_path: Path,
    database: Database,
    redis_url: str,
    tiny_model: Path,
    tiny_adapter: Path,
    admin: int,
) -> None:
    from core.adapter_store import AdapterStore  # noqa: PLC0415
    from worker.engines.paligemma.base_model import describe_base  # noqa: PLC0415

    elsewhere = "/models/paligemma-on-the-gpu-host"
    settings = make_settings(tmp_path / "data", database.url, redis_url, paligemma_model=elsewhere)
    client = create_test_app(settings).test_client()
    api = {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}
    unknown = upload(client, api, zip_folder(tiny_adapter))
    assert unknown.status_code == 409 and "describe-base" in unknown.json["error"]["message"]
    described = describe_base(tiny_model, elsewhere).to_json()
    AdapterStore(settings.adapter_dir).publish_base(elsewhere, described)  # as a worker does
    assert upload(client, api, zip_folder(tiny_adapter)).status_code == 201
