"""Articles, blocks, citation slots, arguments with sources and versions, votes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forum_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_articles_imported_by_id_forum_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_articles")),
    )
    op.create_index(
        op.f("ix_forum_articles_created_at"),
        "forum_articles",
        ["created_at"],
        unique=False,
    )
    op.create_table(
        "forum_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("section", sa.String(length=300), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("consensus_status", sa.String(length=16), nullable=False),
        sa.Column("consensus_note", sa.Text(), nullable=False),
        sa.Column("consensus_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "consensus_status IN ('open', 'supported', 'contested', 'refuted', 'needs_sources')",
            name=op.f("ck_forum_blocks_consensus_status"),
        ),
        sa.CheckConstraint(
            "kind IN ('heading', 'paragraph', 'caption', 'quote', 'list')",
            name=op.f("ck_forum_blocks_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["forum_articles.id"],
            name=op.f("fk_forum_blocks_article_id_forum_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_blocks")),
        sa.UniqueConstraint(
            "article_id", "position", name=op.f("uq_forum_blocks_article_id_position")
        ),
    )
    op.create_table(
        "forum_citation_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reference_text", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["forum_articles.id"],
            name=op.f("fk_forum_citation_slots_article_id_forum_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_citation_slots")),
        sa.UniqueConstraint(
            "article_id",
            "number",
            name=op.f("uq_forum_citation_slots_article_id_number"),
        ),
    )
    op.create_table(
        "forum_arguments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("up", sa.Integer(), nullable=False),
        sa.Column("down", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "stance IN ('counter', 'support', 'question')",
            name=op.f("ck_forum_arguments_stance"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_arguments_author_id_forum_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["forum_blocks.id"],
            name=op.f("fk_forum_arguments_block_id_forum_blocks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["forum_arguments.id"],
            name=op.f("fk_forum_arguments_parent_id_forum_arguments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_arguments")),
    )
    op.create_index(
        op.f("ix_forum_arguments_author_id"),
        "forum_arguments",
        ["author_id"],
        unique=False,
    )
    op.create_index(
        "ix_forum_arguments_block_id_created_at",
        "forum_arguments",
        ["block_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_forum_arguments_parent_id"),
        "forum_arguments",
        ["parent_id"],
        unique=False,
    )
    op.create_table(
        "forum_block_citations",
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["forum_blocks.id"],
            name=op.f("fk_forum_block_citations_block_id_forum_blocks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["forum_citation_slots.id"],
            name=op.f("fk_forum_block_citations_slot_id_forum_citation_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "block_id", "slot_id", name=op.f("pk_forum_block_citations")
        ),
    )
    op.create_index(
        op.f("ix_forum_block_citations_slot_id"),
        "forum_block_citations",
        ["slot_id"],
        unique=False,
    )
    op.create_table(
        "forum_argument_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("argument_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["argument_id"],
            ["forum_arguments.id"],
            name=op.f("fk_forum_argument_versions_argument_id_forum_arguments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_argument_versions")),
        sa.UniqueConstraint(
            "argument_id",
            "number",
            name=op.f("uq_forum_argument_versions_argument_id_number"),
        ),
    )
    op.create_table(
        "forum_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("argument_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("citation", sa.Integer(), nullable=True),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["argument_id"],
            ["forum_arguments.id"],
            name=op.f("fk_forum_sources_argument_id_forum_arguments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["forum_citation_slots.id"],
            name=op.f("fk_forum_sources_slot_id_forum_citation_slots"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_sources")),
    )
    op.create_index(
        op.f("ix_forum_sources_argument_id"),
        "forum_sources",
        ["argument_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_forum_sources_slot_id"), "forum_sources", ["slot_id"], unique=False
    )
    op.create_table(
        "forum_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("argument_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_forum_votes_value")),
        sa.ForeignKeyConstraint(
            ["argument_id"],
            ["forum_arguments.id"],
            name=op.f("fk_forum_votes_argument_id_forum_arguments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["forum_members.id"],
            name=op.f("fk_forum_votes_member_id_forum_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_votes")),
        sa.UniqueConstraint(
            "argument_id",
            "member_id",
            name=op.f("uq_forum_votes_argument_id_member_id"),
        ),
    )
    op.create_index(
        op.f("ix_forum_votes_member_id"), "forum_votes", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_forum_votes_member_id"), table_name="forum_votes")
    op.drop_table("forum_votes")
    op.drop_index(op.f("ix_forum_sources_slot_id"), table_name="forum_sources")
    op.drop_index(op.f("ix_forum_sources_argument_id"), table_name="forum_sources")
    op.drop_table("forum_sources")
    op.drop_table("forum_argument_versions")
    op.drop_index(
        op.f("ix_forum_block_citations_slot_id"), table_name="forum_block_citations"
    )
    op.drop_table("forum_block_citations")
    op.drop_index(op.f("ix_forum_arguments_parent_id"), table_name="forum_arguments")
    op.drop_index(
        "ix_forum_arguments_block_id_created_at", table_name="forum_arguments"
    )
    op.drop_index(op.f("ix_forum_arguments_author_id"), table_name="forum_arguments")
    op.drop_table("forum_arguments")
    op.drop_table("forum_citation_slots")
    op.drop_table("forum_blocks")
    op.drop_index(op.f("ix_forum_articles_created_at"), table_name="forum_articles")
    op.drop_table("forum_articles")
