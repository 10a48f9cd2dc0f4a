"""training jobs: attempts and the worker that runs them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('training_jobs') as batch:
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('worker', sa.String(length=255), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('training_jobs') as batch:
        batch.drop_column('worker')
        batch.drop_column('attempts')
