"""Notes can be pinned."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column(
        "notes_plugin_notes",
        sa.Column("pinned", sa.Integer, nullable=False, server_default="0"),
    )
