"""Supervised and preference (DPO) JSONL built from examples, and checked like the API does."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from botkit_trainer.sizes import human

ROLES = ("system", "user", "assistant")
SUPERVISED, DPO = "supervised", "dpo"
MAX_REPORTED = 5


def message_problem(messages: Sequence[Any], roles: tuple[str, ...] = ROLES) -> str | None:
    """What makes ``messages`` unusable as a training conversation, or None."""
    if not messages:
        return "there are no messages"
    for number, message in enumerate(messages, 1):
        if not isinstance(message, dict):
            return f"message {number} is not an object"
        if message.get("role") not in roles:
            allowed = ", ".join(roles[:-1]) + " or " + roles[-1]
            return f"message {number} has role {message.get('role')!r}; use {allowed}"
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            return f"message {number} has empty content"
    if messages[-1]["role"] != "assistant":
        return "the last message must be the assistant's answer"
    if not any(m["role"] == "user" for m in messages):
        return "there is no user message"
    return None


@attrs.frozen
class Built:
    """The records of both files; preference pairs join a positive and a negative answer."""

    supervised: list[dict[str, Any]]
    preference: list[dict[str, Any]]


def build(examples: Iterable[tuple[str, Sequence[dict[str, str]]]]) -> Built:
    """Positive conversations become supervised records; a negative answer to a prompt that
    also has a positive answer becomes a preference pair."""
    positives: dict[str, list[Sequence[dict[str, str]]]] = {}
    negatives: dict[str, list[Sequence[dict[str, str]]]] = {}
    for label, messages in examples:
        key = json.dumps(list(messages[:-1]), sort_keys=True, ensure_ascii=False)
        (positives if label == "positive" else negatives).setdefault(key, []).append(messages)
    supervised = [{"messages": list(m)} for group in positives.values() for m in group]
    preference = []
    for key, bad_answers in negatives.items():
        good_answers = positives.get(key)
        if not good_answers:
            continue
        for i, bad in enumerate(bad_answers):
            good = good_answers[i % len(good_answers)]
            preference.append(
                {
                    "input": {"messages": list(bad[:-1])},
                    "preferred_output": [good[-1]],
                    "non_preferred_output": [bad[-1]],
                }
            )
    return Built(supervised, preference)


def to_jsonl(records: Iterable[dict[str, Any]]) -> bytes:
    """One compact JSON object a line."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def validate(
    data: bytes,
    method: str,
    *,
    min_examples: int,
    max_bytes: int,
    roles: tuple[str, ...] = ROLES,
) -> list[str]:
    """The problems the fine-tuning API would reject ``data`` for (at most a few lines' worth)."""
    problems: list[str] = []
    if len(data) > max_bytes:
        problems.append(f"the file is {human(len(data))}; the limit is {human(max_bytes)}")
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return [*problems, "the file is not UTF-8"]
    if lines and lines[-1] == "":
        lines.pop()
    check = _supervised_problem if method == SUPERVISED else _preference_problem
    usable, bad_lines = 0, []
    for number, line in enumerate(lines, 1):
        problem = _record_problem(line, lambda record: check(record, roles))
        if problem:
            bad_lines.append(f"line {number}: {problem}")
        else:
            usable += 1
    if usable < min_examples:
        problems.append(f"{usable} usable examples; fine-tuning needs at least {min_examples}")
    problems += bad_lines[:MAX_REPORTED]
    if len(bad_lines) > MAX_REPORTED:
        problems.append(f"... and {len(bad_lines) - MAX_REPORTED} more bad lines")
    return problems


def _record_problem(line: str, check: Any) -> str | None:
    if not line.strip():
        return "empty line"
    try:
        record = json.loads(line)
    except ValueError:
        return "not valid JSON"
    if not isinstance(record, dict):
        return "not a JSON object"
    return check(record)


def _supervised_problem(record: dict[str, Any], roles: tuple[str, ...]) -> str | None:
    messages = record.get("messages")
    if not isinstance(messages, list):
        return "needs a messages list"
    return message_problem(messages, roles)


def _preference_problem(record: dict[str, Any], roles: tuple[str, ...]) -> str | None:
    source = record.get("input")
    prompt = source.get("messages") if isinstance(source, dict) else None
    if not isinstance(prompt, list) or not prompt:
        return "needs input.messages"
    for key in ("preferred_output", "non_preferred_output"):
        output = record.get(key)
        if not isinstance(output, list) or len(output) != 1:
            return f"{key} must hold exactly one assistant message"
        problem = message_problem([*prompt, *output], roles)
        if problem:
            return problem
    if prompt[-1].get("role") != "user":
        return "input.messages must end with a user message"
    return None
