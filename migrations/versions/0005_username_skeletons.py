"""Look-alike user names: sign-in keys in NFKC, case-folded, and a unique TR39 skeleton per account.

Existing accounts keep their names and their sign-in. Where two of them already collide, the skeleton
goes to the older one, and the new key to the one whose key it already is, else to the older one; the
other keeps its old key (a case-folded name not in NFKC, which no new key can equal), or no skeleton.
A new name that looks like either is still refused.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

accounts = sa.table(
    "forum_accounts",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("username_key", sa.String),
    sa.column("username_skeleton", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("forum_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_skeleton", sa.String(length=120), nullable=True))
    backfill()
    with op.batch_alter_table("forum_accounts", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_forum_accounts_username_skeleton"), ["username_skeleton"]
        )


def backfill() -> None:
    """Give every account its new key and skeleton; where two collide, one keeps what it had."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(accounts.c.id, accounts.c.username, accounts.c.username_key).order_by(accounts.c.id)
    ).all()
    if not rows:
        return  # a host without the forum's own accounts needs no ICU here
    from forum.usernames import username_key, username_skeleton

    new_keys = {row.id: username_key(row.username) for row in rows}
    # Keys that stay as they are can never be lost; the others go to the oldest account that wants them.
    taken = {row.username_key for row in rows if new_keys[row.id] == row.username_key}
    skeletons: set[str] = set()
    for row in rows:
        key = new_keys[row.id]
        if key != row.username_key and key in taken:
            key = row.username_key
        taken.add(key)
        skeleton: str | None = username_skeleton(row.username)
        if skeleton in skeletons or len(skeleton) > 120:
            skeleton = None
        else:
            skeletons.add(skeleton)
        connection.execute(
            accounts.update()
            .where(accounts.c.id == row.id)
            .values(username_key=key, username_skeleton=skeleton)
        )


def downgrade() -> None:
    with op.batch_alter_table("forum_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_forum_accounts_username_skeleton"), type_="unique")
        batch_op.drop_column("username_skeleton")
    # The earlier keys: stripped and case-folded. Names were refused on coarser keys since, so they stay unique.
    connection = op.get_bind()
    for row in connection.execute(sa.select(accounts.c.id, accounts.c.username)).all():
        connection.execute(
            accounts.update()
            .where(accounts.c.id == row.id)
            .values(username_key=row.username.strip().casefold())
        )
