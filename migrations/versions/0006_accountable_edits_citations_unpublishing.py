"""Accountable edits, accepted citations, duplicate imports and unpublished articles.

- Each kept version of an argument records the edit that replaced it: who made it, why, and whether it
  was a moderator's edit of someone else's words. Versions kept before this was recorded stay without a
  name: nobody knows now who made those edits.
- A member's source naming a footnote only proposes it; a moderator's acceptance (`accepted_at`) makes
  it fill the slot, one per slot. The sources that filled slots until now become proposals, none
  accepted: no moderator ever looked at them, and filling a slot with an unvetted link is the fault this
  change removes. They stay listed under their slots, for a moderator to accept with one click.
- Articles get a digest of their text, so that importing the same text again is refused, and
  `unpublished_at`. Only one published article may hold a digest; where several published articles
  already hold the same text, the oldest gets it and the later copies none (an admin may unpublish them).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

articles = sa.table(
    "forum_articles",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("date", sa.Date),
    sa.column("digest", sa.String),
)
blocks = sa.table(
    "forum_blocks",
    sa.column("article_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("text", sa.Text),
)
slots = sa.table(
    "forum_citation_slots",
    sa.column("article_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("reference_text", sa.Text),
    sa.column("url", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("forum_argument_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("edited_by_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("edit_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("moderator_edit", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_forum_argument_versions_edited_by_id_forum_members"),
            "forum_members",
            ["edited_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("forum_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("accepted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_forum_sources_accepted_by_id_forum_members"),
            "forum_members",
            ["accepted_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "uq_forum_sources_accepted_slot_id",
            ["slot_id"],
            unique=True,
            sqlite_where=sa.text("accepted_at IS NOT NULL"),
            postgresql_where=sa.text("accepted_at IS NOT NULL"),
        )
    with op.batch_alter_table("forum_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("unpublished_at", sa.DateTime(timezone=True), nullable=True))
    backfill_digests()
    with op.batch_alter_table("forum_articles", schema=None) as batch_op:
        batch_op.create_index(
            "uq_forum_articles_published_digest",
            ["digest"],
            unique=True,
            sqlite_where=sa.text("unpublished_at IS NULL"),
            postgresql_where=sa.text("unpublished_at IS NULL"),
        )


def backfill_digests() -> None:
    """Give each article the digest of its stored text; of identical ones, only the oldest."""
    from forum.services.article_storage import text_digest

    connection = op.get_bind()
    texts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in connection.execute(
        sa.select(blocks.c.article_id, blocks.c.kind, blocks.c.text).order_by(
            blocks.c.article_id, blocks.c.position
        )
    ):
        texts[row.article_id].append((row.kind, row.text))
    references: dict[int, list[tuple[int, str | None, str | None]]] = defaultdict(list)
    for row in connection.execute(
        sa.select(slots.c.article_id, slots.c.number, slots.c.reference_text, slots.c.url).where(
            sa.or_(slots.c.reference_text.is_not(None), slots.c.url.is_not(None))
        )
    ):
        references[row.article_id].append((row.number, row.reference_text, row.url))
    taken: set[str] = set()
    for row in connection.execute(
        sa.select(articles.c.id, articles.c.title, articles.c.date).order_by(articles.c.id)
    ).all():
        digest = text_digest(row.title, row.date, texts[row.id], references[row.id])
        if digest in taken:
            continue
        taken.add(digest)
        connection.execute(articles.update().where(articles.c.id == row.id).values(digest=digest))


def downgrade() -> None:
    with op.batch_alter_table("forum_articles", schema=None) as batch_op:
        batch_op.drop_index("uq_forum_articles_published_digest")
        batch_op.drop_column("unpublished_at")
        batch_op.drop_column("digest")
    with op.batch_alter_table("forum_sources", schema=None) as batch_op:
        batch_op.drop_index("uq_forum_sources_accepted_slot_id")
        batch_op.drop_constraint(
            batch_op.f("fk_forum_sources_accepted_by_id_forum_members"), type_="foreignkey"
        )
        batch_op.drop_column("accepted_by_id")
        batch_op.drop_column("accepted_at")
    with op.batch_alter_table("forum_argument_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_forum_argument_versions_edited_by_id_forum_members"), type_="foreignkey"
        )
        batch_op.drop_column("moderator_edit")
        batch_op.drop_column("edit_reason")
        batch_op.drop_column("edited_by_name")
        batch_op.drop_column("edited_by_id")
