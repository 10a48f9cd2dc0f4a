"""The one typed settings object, read from ``FORMLENS_*`` environment variables.

Every process (web, worker, CLI) builds a :class:`Settings` once at start-up and passes it
down; nothing else reads the environment. The defaults run the whole service on one machine
with no servers: a SQLite file and kombu's SQLAlchemy transport on a second SQLite file, both in
the data directory. Pointing ``FORMLENS_DATABASE_URL`` at Postgres and ``FORMLENS_BROKER_URL``
at Redis is the production set-up and needs no other change.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class Settings(BaseSettings):
    """FormLens configuration. Each attribute ``x`` is read from ``FORMLENS_X``."""

    model_config = SettingsConfigDict(env_prefix="FORMLENS_", extra="ignore", frozen=True)

    # Where blobs, page images, adapters and the embedded databases live: outside any web root.
    data_dir: Path = Path("data")
    database_url: str = ""
    broker_url: str = ""
    # Namespaces every Redis key of the broker, so that several installs (or test runs) can
    # share one Redis server without taking each other's messages.
    broker_prefix: str = ""
    secret_key: str = ""

    # Web
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    rate_limit_storage_url: str = "memory://"
    login_rate_limit: str = "10 per minute"
    upload_rate_limit: str = "120 per minute"
    session_cookie_secure: bool = False

    # Upload limits, checked before any expensive work.
    max_upload_bytes: int = 50 * MiB
    max_pages: int = 200
    max_image_pixels: int = 80_000_000

    # Worker
    render_timeout_s: float = 60.0
    task_max_attempts: int = 3
    visibility_timeout_s: int = 900
    sweep_interval_s: float = 30.0
    stuck_after_s: float = 120.0
    preview_width: int = 1240

    # Reading
    ocr_engine: str = "tesseract"
    ocr_languages: str = "eng+deu+fra+nld"
    ocr_dpi: int = 300
    # Read a scan again (Tesseract as one block for receipts, RapidOCR) where Tesseract left a
    # required field missing (the "auto" engine only).
    ocr_second_look: bool = True
    review_threshold: float = 0.6

    # PaliGemma (GPU workers)
    paligemma_model: str = ""
    paligemma_device: str = "auto"
    paligemma_quantization: str = ""  # "", "8bit" or "4bit" (bitsandbytes)
    paligemma_max_batch: int = 16
    paligemma_batch_wait_ms: float = 20.0
    adapter_cache_size: int = 4

    # Adapter uploads (admin): the archive's size, and what it may unpack to. An adapter
    # compresses poorly (float weights), so a high ratio means an archive bomb.
    adapter_upload_max_bytes: int = 1024 * MiB
    adapter_unpacked_max_bytes: int = 2048 * MiB
    adapter_archive_max_entries: int = 32
    adapter_archive_max_ratio: float = 50.0

    # Retraining jobs (training queue)
    training_max_attempts: int = 3
    training_checkpoint_every_s: float = 300.0

    # Webhooks and pushes
    webhook_timeout_s: float = 15.0
    webhook_allow_private: bool = False
    # Seconds to wait before each retry of a failed delivery (jittered by ±20 %): about 2.8 days
    # in all, then the delivery fails and its subscription is disabled.
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000,36000,36000,36000,36000"

    # First admin, created by ``formlens run`` when the database has no user.
    admin_email: str = "admin@formlens.local"

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        delays = [float(part) for part in value.split(",") if part.strip()]
        if not delays or min(delays) < 0:
            raise ValueError("a comma-separated list of seconds, at least one, none negative")
        return value

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        return tuple(float(part) for part in self.webhook_retry_schedule.split(",") if part.strip())

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'formlens.db'}"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{self.data_dir / 'broker.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def adapter_dir(self) -> Path:
        return self.data_dir / "adapters"

    @property
    def training_dir(self) -> Path:
        return self.data_dir / "training"

    @property
    def uses_redis(self) -> bool:
        return self.effective_broker_url.startswith(("redis://", "rediss://"))


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; ``overrides`` win (tests and the CLI use them)."""
    return Settings(**overrides)  # type: ignore[arg-type]


__all__ = ["MiB", "Settings", "load_settings"]
