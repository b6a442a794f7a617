"""The trainer's tables: datasets, examples (and whose words each holds), document passages
and fine-tuning jobs. ``guild_id`` is the space: a server's id, or ``dm:<user id>``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

LABELS = ("positive", "negative")
KINDS = ("qa", "document")
SOURCES = ("inline", "file", "directory", "correction", "test")

datasets = Table(
    "trainer_datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("guild_id", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("guild_id", "name", name="uq_trainer_datasets_guild_name"),
)

# ``content`` is canonical JSON ``{"messages": [...]}`` for kind qa, the text for a document.
examples = Table(
    "trainer_examples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "dataset_id",
        Integer,
        ForeignKey("trainer_datasets.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("label", String(8), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("source", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("name", String(300), nullable=False, default=""),  # file, relative to data_dir
    Column("author_id", String(32), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("dataset_id", "content_hash", name="uq_trainer_examples_hash"),
)

# Everyone whose words an example holds (its author, and e.g. who asked the question a
# correction answers): forgetting any of them deletes the example.
people = Table(
    "trainer_example_people",
    metadata,
    Column(
        "example_id",
        Integer,
        ForeignKey("trainer_examples.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", String(32), primary_key=True),
    Index("ix_trainer_example_people_user_id", "user_id"),
)

passages = Table(
    "trainer_passages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "example_id",
        Integer,
        ForeignKey("trainer_examples.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("guild_id", String(32), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
)

jobs = Table(
    "trainer_jobs",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("guild_id", String(32), nullable=False, index=True),
    Column("dataset", String(64), nullable=False),
    Column("provider", String(32), nullable=False, server_default="openai"),
    Column("base_url", String(300), nullable=False),
    Column("account_id", String(100), nullable=False, server_default=""),
    Column("method", String(16), nullable=False),
    Column("training_file", String(300), nullable=False, server_default=""),
    Column("status", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("fine_tuned_model", String(300)),
    Column("error", Text),
    Column("announced", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
