"""Moderation: verdict history, flags, the audit log, lock reasons and hiding times.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forum_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_audit_log_actor_id_forum_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_audit_log")),
    )
    with op.batch_alter_table("forum_audit_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forum_audit_log_action"), ["action"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_forum_audit_log_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_forum_audit_log_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "forum_consensus_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_html", sa.Text(), nullable=False),
        sa.Column("key_arguments", sa.JSON(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("member_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "from_status IN ('open', 'supported', 'contested', 'refuted', 'needs_sources')",
            name=op.f("ck_forum_consensus_changes_from_status"),
        ),
        sa.CheckConstraint(
            "to_status IN ('open', 'supported', 'contested', 'refuted', 'needs_sources')",
            name=op.f("ck_forum_consensus_changes_to_status"),
        ),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["forum_blocks.id"],
            name=op.f("fk_forum_consensus_changes_block_id_forum_blocks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_consensus_changes_member_id_forum_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_consensus_changes")),
        sa.UniqueConstraint(
            "block_id",
            "version",
            name=op.f("uq_forum_consensus_changes_block_id_version"),
        ),
    )
    op.create_table(
        "forum_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("argument_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "reason IN ('spam', 'abuse', 'off_topic', 'other')",
            name=op.f("ck_forum_flags_reason"),
        ),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('dismiss', 'hide')",
            name=op.f("ck_forum_flags_resolution"),
        ),
        sa.ForeignKeyConstraint(
            ["argument_id"],
            ["forum_arguments.id"],
            name=op.f("fk_forum_flags_argument_id_forum_arguments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_flags_member_id_forum_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_flags_resolved_by_id_forum_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_flags")),
        sa.UniqueConstraint(
            "argument_id",
            "member_id",
            name=op.f("uq_forum_flags_argument_id_member_id"),
        ),
    )
    with op.batch_alter_table("forum_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forum_flags_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            "ix_forum_flags_open", ["resolved_at", "created_at"], unique=False
        )

    with op.batch_alter_table("forum_arguments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("forum_blocks", schema=None) as batch_op:
        # Threads that exist already get an empty note and no key arguments.
        batch_op.add_column(
            sa.Column("consensus_note_html", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("consensus_key_arguments", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("consensus_set_by_id", sa.Integer(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("consensus_set_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("lock_reason", sa.String(length=500), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_forum_blocks_consensus_set_by_id_forum_members"),
            "forum_members",
            ["consensus_set_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("forum_blocks", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_forum_blocks_consensus_set_by_id_forum_members"),
            type_="foreignkey",
        )
        batch_op.drop_column("lock_reason")
        batch_op.drop_column("consensus_set_at")
        batch_op.drop_column("consensus_set_by_id")
        batch_op.drop_column("consensus_key_arguments")
        batch_op.drop_column("consensus_note_html")

    with op.batch_alter_table("forum_arguments", schema=None) as batch_op:
        batch_op.drop_column("hidden_at")

    with op.batch_alter_table("forum_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_forum_flags_open")
        batch_op.drop_index(batch_op.f("ix_forum_flags_member_id"))

    op.drop_table("forum_flags")
    op.drop_table("forum_consensus_changes")
    with op.batch_alter_table("forum_audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forum_audit_log_created_at"))
        batch_op.drop_index(batch_op.f("ix_forum_audit_log_actor_id"))
        batch_op.drop_index(batch_op.f("ix_forum_audit_log_action"))

    op.drop_table("forum_audit_log")
