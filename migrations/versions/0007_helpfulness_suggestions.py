"""Helpfulness of arguments, and a suggested status for every thread with the scorings that made it.

- Arguments get `helpfulness` and `helpful`: what the scorer made of the votes on them, across the camps
  of voters. Both stay empty until the first scoring (`flask forum score`).
- `forum_suggestions` keeps each thread's computed status and the helpful arguments it rests on, with the
  algorithm and a digest of the votes that made it; a moderator's verdict stays where it is.
- `forum_scoring_runs` records every scoring: when, which algorithm, the digest of its input, and how many
  votes there were, so that the next scoring knows how many came since.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forum_arguments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("helpfulness", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("helpful", sa.Boolean(), nullable=True))
    op.create_table(
        "forum_scoring_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("algorithm", sa.String(length=100), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("last_vote_id", sa.Integer(), nullable=False),
        sa.Column("value_sum", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_scoring_runs")),
    )
    with op.batch_alter_table("forum_scoring_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_scoring_runs_scored_at"), ["scored_at"], unique=False)
    op.create_table(
        "forum_suggestions",
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("voters", sa.JSON(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("algorithm", sa.String(length=100), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'supported', 'contested', 'refuted', 'needs_sources')",
            name=op.f("ck_forum_suggestions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["forum_blocks.id"],
            name=op.f("fk_forum_suggestions_block_id_forum_blocks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("block_id", name=op.f("pk_forum_suggestions")),
    )


def downgrade() -> None:
    op.drop_table("forum_suggestions")
    with op.batch_alter_table("forum_scoring_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forum_scoring_runs_scored_at"))
    op.drop_table("forum_scoring_runs")
    with op.batch_alter_table("forum_arguments", schema=None) as batch_op:
        batch_op.drop_column("helpful")
        batch_op.drop_column("helpfulness")
