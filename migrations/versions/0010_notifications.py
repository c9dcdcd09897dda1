"""Notifications and watches.

- `forum_notifications`: what each member is told (replies, mentions, verdicts of watched threads, their
  arguments hidden or restored, their flags resolved), read or not. A burst of alike events is one unread
  line per member and `group_key` (a partial unique index), with the `count` of events it stands for.
- `forum_watches`: a member's level (`watching`, `normal`, `muted`) for one thread or one whole article.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forum_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=True),
        sa.Column("argument_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("group_key", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('reply', 'mention', 'verdict', 'hidden', 'restored', 'flag_resolved')",
            name=op.f("ck_forum_notifications_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["forum_members.id"],
            name=op.f("fk_forum_notifications_actor_id_forum_members"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["argument_id"], ["forum_arguments.id"],
            name=op.f("fk_forum_notifications_argument_id_forum_arguments"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["block_id"], ["forum_blocks.id"],
            name=op.f("fk_forum_notifications_block_id_forum_blocks"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["forum_members.id"],
            name=op.f("fk_forum_notifications_member_id_forum_members"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_notifications")),
    )
    with op.batch_alter_table("forum_notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_notifications_argument_id"), ["argument_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forum_notifications_block_id"), ["block_id"], unique=False)
        batch_op.create_index(
            "ix_forum_notifications_member_id_updated_at", ["member_id", "updated_at"], unique=False
        )
        batch_op.create_index(
            "uq_forum_notifications_unread_group",
            ["member_id", "group_key"],
            unique=True,
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        )
    op.create_table(
        "forum_watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('watching', 'normal', 'muted')", name=op.f("ck_forum_watches_level")),
        sa.CheckConstraint(
            "(block_id IS NULL) <> (article_id IS NULL)", name=op.f("ck_forum_watches_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["forum_articles.id"],
            name=op.f("fk_forum_watches_article_id_forum_articles"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["block_id"], ["forum_blocks.id"],
            name=op.f("fk_forum_watches_block_id_forum_blocks"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["forum_members.id"],
            name=op.f("fk_forum_watches_member_id_forum_members"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_watches")),
        sa.UniqueConstraint("member_id", "article_id", name=op.f("uq_forum_watches_member_id_article_id")),
        sa.UniqueConstraint("member_id", "block_id", name=op.f("uq_forum_watches_member_id_block_id")),
    )
    with op.batch_alter_table("forum_watches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forum_watches_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forum_watches_block_id"), ["block_id"], unique=False)


def downgrade() -> None:
    op.drop_table("forum_watches")
    op.drop_table("forum_notifications")
