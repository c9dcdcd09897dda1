"""Revised articles: each article's revision, each block's text history and what became of it.

- Articles get `revision`: existing ones are revision 1.
- `forum_block_revisions` keeps a block's text for each revision that set a new one; every existing block
  gets its current text as revision 1.
- Blocks get `change` (what became of them in the latest revision; `added` for a first one), `removed_in`
  and `merged_into_id` (a block a revision left out keeps its thread at its URL), `consensus_needs_review`
  (a verdict set on a wording a revision changed) and `successor_candidates` (a removed block's possible
  successors, for a moderator to decide).
- Arguments get `revision` (the wording they answered; existing ones answered revision 1) and
  `origin_block_id` (the paragraph they were written on, when a merge moved them).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHANGES = "'unchanged', 'edited', 'moved', 'split', 'merged', 'added', 'removed'"


def upgrade() -> None:
    with op.batch_alter_table("forum_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False))
    with op.batch_alter_table("forum_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change", sa.String(length=16), server_default="added", nullable=False))
        batch_op.add_column(sa.Column("removed_in", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("consensus_needs_review", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("successor_candidates", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_forum_blocks_merged_into_id_forum_blocks"),
            "forum_blocks",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(batch_op.f("ck_forum_blocks_change"), f"change IN ({CHANGES})")
    with op.batch_alter_table("forum_arguments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False))
        batch_op.add_column(sa.Column("origin_block_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_forum_arguments_origin_block_id_forum_blocks"),
            "forum_blocks",
            ["origin_block_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "forum_block_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["forum_blocks.id"],
            name=op.f("fk_forum_block_revisions_block_id_forum_blocks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_block_revisions")),
        sa.UniqueConstraint("block_id", "revision", name=op.f("uq_forum_block_revisions_block_id_revision")),
    )
    # Every article so far is its first revision, as its blocks read now.
    op.execute(
        "INSERT INTO forum_block_revisions (block_id, revision, text) SELECT id, 1, text FROM forum_blocks"
    )


def downgrade() -> None:
    op.drop_table("forum_block_revisions")
    with op.batch_alter_table("forum_arguments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_forum_arguments_origin_block_id_forum_blocks"), type_="foreignkey")
        batch_op.drop_column("origin_block_id")
        batch_op.drop_column("revision")
    with op.batch_alter_table("forum_blocks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_forum_blocks_change"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_forum_blocks_merged_into_id_forum_blocks"), type_="foreignkey")
        batch_op.drop_column("successor_candidates")
        batch_op.drop_column("consensus_needs_review")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("removed_in")
        batch_op.drop_column("change")
    with op.batch_alter_table("forum_articles", schema=None) as batch_op:
        batch_op.drop_column("revision")
