"""Corrections as fine-tuning examples: SFT and preference (DPO) records, JSONL, validation.

SFT: ``{"messages": [system?, user, assistant = the correction]}``.
DPO: ``{"input": {"messages": [system?, user]}, "preferred_output": [the correction],
"non_preferred_output": [the bot's original reply]}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from botkit_feedback.records import Correction

Record = dict[str, Any]

ROLES = frozenset({"system", "user", "assistant"})


class InvalidExample(ValueError):
    """An export line is not a valid fine-tuning example; the message says where and why."""


def message(role: str, content: str) -> Record:
    return {"role": role, "content": content}


def _prompt(correction: Correction, system_prompt: str) -> list[Record] | None:
    """The conversation the bot answered, or None when the user's message is unknown."""
    if not (correction.user_text or "").strip():
        return None
    system = [message("system", system_prompt)] if system_prompt.strip() else []
    return [*system, message("user", correction.user_text or "")]


def sft_record(correction: Correction, system_prompt: str) -> Record | None:
    """The conversation answered with the correction, or None if it cannot be one."""
    prompt = _prompt(correction, system_prompt)
    if prompt is None or not correction.correction.strip():
        return None
    return {"messages": [*prompt, message("assistant", correction.correction)]}


def dpo_record(correction: Correction, system_prompt: str) -> Record | None:
    """The correction preferred over the bot's reply, or None if they do not make a pair."""
    prompt = _prompt(correction, system_prompt)
    original, better = correction.bot_text.strip(), correction.correction.strip()
    if prompt is None or not original or not better or original == better:
        return None
    return {
        "input": {"messages": prompt},
        "preferred_output": [message("assistant", correction.correction)],
        "non_preferred_output": [message("assistant", correction.bot_text)],
    }


BUILDERS: dict[str, Callable[[Correction, str], Record | None]] = {
    "sft": sft_record,
    "dpo": dpo_record,
}


def training_examples(corrections: Iterable[Correction], system_prompt: str) -> list[Record]:
    """Every usable correction as ``{"kind": "sft", ...}`` and ``{"kind": "dpo", ...}``, with
    ``user_id`` (who corrected) and ``user_ids`` (everyone whose words it holds: the corrector,
    and who asked the question the bot answered)."""
    records = []
    for correction in corrections:
        people = list(dict.fromkeys(filter(None, (correction.author_id, correction.asker_id))))
        for kind, build in BUILDERS.items():
            record = build(correction, system_prompt)
            if record is not None:
                records.append(
                    {"kind": kind, "user_id": correction.author_id, "user_ids": people, **record}
                )
    return records


@attrs.frozen
class Export:
    """A JSONL export: its bytes, how many lines, how many corrections were left out."""

    data: bytes = attrs.field(repr=False)
    count: int
    skipped: int


def build_export(corrections: list[Correction], kind: str, system_prompt: str) -> Export:
    """Encode the corrections as ``kind`` JSONL and validate every line (CPU work: run it in a
    worker thread)."""
    build = BUILDERS[kind]
    lines = []
    for correction in corrections:
        record = build(correction, system_prompt)
        if record is not None:
            lines.append(json.dumps(record, ensure_ascii=False))
    for number, line in enumerate(lines, start=1):
        validate_line(line, kind, number)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    return Export(data, len(lines), len(corrections) - len(lines))


def validate_line(line: str, kind: str, number: int = 1) -> None:
    """Raise InvalidExample unless ``line`` is one valid ``kind`` example."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidExample(f"line {number} is not JSON: {exc}") from None
    try:
        if not isinstance(record, dict):
            raise InvalidExample("not a JSON object")
        (_check_sft if kind == "sft" else _check_dpo)(record)
    except InvalidExample as exc:
        raise InvalidExample(f"line {number}: {exc}") from None


def _check_sft(record: Record) -> None:
    messages = _messages(record.get("messages"), "messages")
    if not any(m["role"] == "user" for m in messages):
        raise InvalidExample("messages have no user message")
    if messages[-1]["role"] != "assistant":
        raise InvalidExample("messages must end with an assistant message")


def _check_dpo(record: Record) -> None:
    given = record.get("input")
    if not isinstance(given, dict):
        raise InvalidExample("input must be an object holding messages")
    if _messages(given.get("messages"), "input.messages")[-1]["role"] != "user":
        raise InvalidExample("input.messages must end with a user message")
    for key in ("preferred_output", "non_preferred_output"):
        output = _messages(record.get(key), key)
        if len(output) != 1 or output[0]["role"] != "assistant":
            raise InvalidExample(f"{key} must be exactly one assistant message")


def _messages(value: Any, where: str) -> list[Record]:
    if not isinstance(value, list) or not value:
        raise InvalidExample(f"{where} must be a non-empty list")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidExample(f"{where}[{i}] is not an object")
        if item.get("role") not in ROLES:
            raise InvalidExample(
                f"{where}[{i}] has role {item.get('role')!r} (system, user or assistant)"
            )
        content = item.get("content")
        if not isinstance(content, str) or not content.strip():
            raise InvalidExample(f"{where}[{i}] has no content")
    return value
