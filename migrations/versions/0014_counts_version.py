"""Threads count the moves of their page version that votes made, apart from the others.

`forum_blocks.counts_version` grows with `version` when a vote moves it, and only then: a thread read again
after votes alone reads its arguments' counts, not the arguments again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forum_blocks") as batch_op:
        batch_op.add_column(sa.Column("counts_version", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("forum_blocks") as batch_op:
        batch_op.drop_column("counts_version")
