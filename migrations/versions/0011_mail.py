"""Mail: members' addresses, digests and last visits, and the outbox.

- Accounts get `email` and `email_confirmed_at` (an address is mailed only once confirmed).
- Members get `digest` (never, daily or weekly; weekly by default), `last_digest_at` and `last_seen_at`.
- `forum_outbox` holds every mail until a sender has handed it to the mail server.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forum_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("forum_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=8), server_default="weekly", nullable=False))
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_forum_members_digest"), "digest IN ('never', 'daily', 'weekly')"
        )
    op.create_table(
        "forum_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint("kind IN ('confirm', 'reset', 'digest')", name=op.f("ck_forum_outbox_kind")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_outbox_member_id_forum_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_forum_outbox_message_id")),
    )
    op.create_index("ix_forum_outbox_due", "forum_outbox", ["sent_at", "failed_at", "next_attempt_at"])
    op.create_index(op.f("ix_forum_outbox_member_id"), "forum_outbox", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_forum_outbox_member_id"), table_name="forum_outbox")
    op.drop_index("ix_forum_outbox_due", table_name="forum_outbox")
    op.drop_table("forum_outbox")
    with op.batch_alter_table("forum_members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_forum_members_digest"), type_="check")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("digest")
    with op.batch_alter_table("forum_accounts", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("email")
