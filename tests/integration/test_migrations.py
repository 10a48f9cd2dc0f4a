"""The migrations are the schema: one head, and ``upgrade head`` builds exactly the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from migrations.config import alembic_config, upgrade
from models import Base
from models.db import build_engine
from tests.support.servers import scratch_database


def test_there_is_one_migration_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def assert_schema_matches_models(url: str) -> None:
    engine = build_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_head_on_an_empty_database_matches_the_models(postgres_server: str) -> None:
    with scratch_database(postgres_server, "formlens_migration") as url:
        upgrade(url)
        assert_schema_matches_models(url)


def test_the_embedded_default_migrates_too(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'formlens.db'}"
    upgrade(url)
    assert_schema_matches_models(url)
