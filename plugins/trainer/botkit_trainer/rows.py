"""The rows the trainer reads and writes, as plain values: importing them needs no
SQLAlchemy, so the plugin's entry point stays light."""

from __future__ import annotations

import json
from collections.abc import Sequence

import attrs

from botkit_trainer.providers.base import FINAL_STATUSES

__all__ = ["FINAL_STATUSES", "JobRow", "NewExample", "qa_content"]


def qa_content(messages: Sequence[dict[str, str]]) -> str:
    """The canonical JSON stored for a Q&A example (equal conversations, equal text)."""
    return json.dumps(
        {"messages": list(messages)}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


@attrs.frozen
class NewExample:
    """An example about to be stored; a document brings its passages. ``people`` is everyone
    whose words it holds (the author first; none for the owner's files)."""

    label: str
    kind: str
    source: str
    content: str
    name: str = ""
    people: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()

    @property
    def author_id(self) -> str:
        return self.people[0] if self.people else ""


@attrs.frozen
class JobRow:
    """A fine-tuning job as stored."""

    id: str
    guild_id: str
    dataset: str
    provider: str
    base_url: str
    account_id: str
    method: str
    training_file: str
    status: str
    channel_id: str
    fine_tuned_model: str | None
    error: str | None
    announced: bool
    created_at: float
    updated_at: float

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES
