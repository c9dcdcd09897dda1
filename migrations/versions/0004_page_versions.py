"""Page versions: a counter on every thread and article that each write touching its page moves.

Also an index for the audit log filtered by target.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forum_articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    with op.batch_alter_table("forum_blocks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    with op.batch_alter_table("forum_audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_forum_audit_log_target", ["target_type", "target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("forum_audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_audit_log_target")
    with op.batch_alter_table("forum_blocks", schema=None) as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("forum_articles", schema=None) as batch_op:
        batch_op.drop_column("version")
