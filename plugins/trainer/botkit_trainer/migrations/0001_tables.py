"""The trainer's tables: datasets, examples, document passages and fine-tuning jobs.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

Creates only the tables that do not exist yet, as botkit 0.1 declared them: a database made
by botkit 0.1 is taken over as it is, rows and all. The search index over passages (FTS5 on
SQLite, a GIN index on PostgreSQL) is made by the plugin at start-up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "trainer_datasets" not in existing:
        op.create_table(
            "trainer_datasets",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("guild_id", sa.String(32), nullable=False),
            sa.Column("name", sa.String(64), nullable=False),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.UniqueConstraint("guild_id", "name", name="uq_trainer_datasets_guild_name"),
        )
    if "trainer_examples" not in existing:
        op.create_table(
            "trainer_examples",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(
                "dataset_id",
                sa.Integer,
                sa.ForeignKey("trainer_datasets.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("label", sa.String(8), nullable=False),
            sa.Column("kind", sa.String(8), nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("content", sa.Text, nullable=False),
            sa.Column("content_hash", sa.String(64), nullable=False),
            sa.Column("name", sa.String(300), nullable=False),
            sa.Column("author_id", sa.String(32), nullable=False),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.UniqueConstraint("dataset_id", "content_hash", name="uq_trainer_examples_hash"),
        )
        op.create_index("ix_trainer_examples_dataset_id", "trainer_examples", ["dataset_id"])
    if "trainer_passages" not in existing:
        op.create_table(
            "trainer_passages",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(
                "example_id",
                sa.Integer,
                sa.ForeignKey("trainer_examples.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("guild_id", sa.String(32), nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
        )
        op.create_index("ix_trainer_passages_example_id", "trainer_passages", ["example_id"])
        op.create_index("ix_trainer_passages_guild_id", "trainer_passages", ["guild_id"])
    if "trainer_jobs" not in existing:
        op.create_table(
            "trainer_jobs",
            sa.Column("id", sa.String(100), primary_key=True),
            sa.Column("guild_id", sa.String(32), nullable=False),
            sa.Column("dataset", sa.String(64), nullable=False),
            sa.Column("base_url", sa.String(300), nullable=False),
            sa.Column("method", sa.String(16), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("channel_id", sa.String(32), nullable=False),
            sa.Column("fine_tuned_model", sa.String(300)),
            sa.Column("error", sa.Text),
            sa.Column("announced", sa.Boolean, nullable=False),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("updated_at", sa.Float, nullable=False),
        )
        op.create_index("ix_trainer_jobs_guild_id", "trainer_jobs", ["guild_id"])


def downgrade() -> None:
    for table in ("trainer_jobs", "trainer_passages", "trainer_examples", "trainer_datasets"):
        op.drop_table(table)
