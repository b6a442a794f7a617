"""Everyone whose words an example holds, so forgetting any of them deletes it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Until now an example named only its author; it now also names, for instance, who asked the
question another user's correction answers. Each stored example's author is its first person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("trainer_example_people"):
        return
    people = op.create_table(
        "trainer_example_people",
        sa.Column(
            "example_id",
            sa.Integer,
            sa.ForeignKey("trainer_examples.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.String(32), primary_key=True),
    )
    op.create_index("ix_trainer_example_people_user_id", "trainer_example_people", ["user_id"])
    examples = sa.table(
        "trainer_examples", sa.column("id", sa.Integer), sa.column("author_id", sa.String)
    )
    authored = sa.select(examples.c.id, examples.c.author_id).where(examples.c.author_id != "")
    op.execute(people.insert().from_select(["example_id", "user_id"], authored))


def downgrade() -> None:
    op.drop_table("trainer_example_people")
