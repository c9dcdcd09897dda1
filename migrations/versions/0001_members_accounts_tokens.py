"""Members and their roles, the standalone site's accounts, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forum_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=30), nullable=False),
        sa.Column("username_key", sa.String(length=30), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("session_token", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_accounts")),
        sa.UniqueConstraint("username_key", name=op.f("uq_forum_accounts_username_key")),
    )
    op.create_table(
        "forum_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('member', 'moderator', 'admin')", name=op.f("ck_forum_members_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_members")),
        sa.UniqueConstraint("user_id", name=op.f("uq_forum_members_user_id")),
    )
    op.create_table(
        "forum_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_api_tokens_member_id_forum_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_forum_api_tokens_digest")),
    )
    op.create_index(
        op.f("ix_forum_api_tokens_member_id"), "forum_api_tokens", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_forum_api_tokens_member_id"), table_name="forum_api_tokens")
    op.drop_table("forum_api_tokens")
    op.drop_table("forum_members")
    op.drop_table("forum_accounts")
