"""The notes table as release 0.1 made it; created only where it does not exist yet."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("notes_plugin_notes"):
        return
    op.create_table(
        "notes_plugin_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
    )
