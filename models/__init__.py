"""The data model shared by the web app and the workers (SQLAlchemy 2.0, typed).

Importing this package registers every table on :data:`Base.metadata`, which Alembic's
``env.py`` compares against the migrations.
"""

from models.adapters import Adapter, AdapterStatus, JobStatus, TrainingJob
from models.base import Base, utcnow
from models.db import Database
from models.delivery import (
    AuditEntry,
    Event,
    ExportProfile,
    Notice,
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from models.documents import Document, DocumentType, Extraction, Page, Review
from models.users import ApiToken, Role, User

__all__ = [
    "Adapter",
    "AdapterStatus",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Database",
    "Document",
    "DocumentType",
    "Event",
    "ExportProfile",
    "Extraction",
    "JobStatus",
    "Notice",
    "OutboxMessage",
    "Page",
    "Review",
    "Role",
    "TrainingJob",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "utcnow",
]
