"""Each person's direct messages are a space of their own.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

Turns get the space and the channel they were said in, so a reply finds its conversation
only where it was given and ``!reset all`` finds a channel's conversations. Token counts of
direct messages (guild id "" or NULL) move to ``dm:<user id>``; the rolled-up totals, which
name no user, go to the bot's first owner's DM space.

A DM turn's space comes from its conversation key (``dm:<channel>:<user>``); other turns
keep the space "" (no server was stored with them), and their channel where the key names it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

turns = sa.table(
    "openai_chat_turns",
    sa.column("conversation", sa.String),
    sa.column("space", sa.String),
    sa.column("channel_id", sa.String),
)
usage = sa.table(
    "openai_chat_usage",
    sa.column("guild_id", sa.String),
    sa.column("user_id", sa.String),
)


def upgrade() -> None:
    op.add_column(
        "openai_chat_turns",
        sa.Column("space", sa.String(64), nullable=False, server_default=""),
    )
    op.add_column("openai_chat_turns", sa.Column("channel_id", sa.String(64)))
    bind = op.get_bind()
    keys = bind.execute(sa.select(turns.c.conversation).distinct()).scalars().all()
    for key in keys:
        kind, _, rest = key.partition(":")
        channel, _, user = rest.rpartition(":")
        if kind not in ("dm", "channel", "thread") or not channel:
            continue  # a reply's conversation: its channel is not in the key
        values = {"channel_id": channel}
        if kind == "dm":
            values["space"] = f"dm:{user}"
        bind.execute(sa.update(turns).where(turns.c.conversation == key).values(**values))
    direct = sa.or_(usage.c.guild_id == "", usage.c.guild_id.is_(None))
    bind.execute(
        sa.update(usage)
        .where(direct, usage.c.user_id != "")
        .values(guild_id=sa.literal("dm:") + usage.c.user_id)
    )
    owner = op.get_context().opts.get("botkit_owner_id", "")
    if owner:
        bind.execute(sa.update(usage).where(direct).values(guild_id=f"dm:{owner}"))


def downgrade() -> None:
    """Drop the new columns; token counts stay in their DM spaces."""
    with op.batch_alter_table("openai_chat_turns") as batch:
        batch.drop_column("channel_id")
        batch.drop_column("space")
