"""The messages sent to the model: instructions and notes, bounded history, the question."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botkit_openai_chat.store import Turn

CHARS_PER_TOKEN = 4
TOOLS = (
    "tools"  # the role of a remembered round of tool calls: JSON [{id, name, arguments, result}]
)


def approx_tokens(text: str) -> int:
    """A rough token count (about four characters a token), good enough for bounds."""
    return len(text) // CHARS_PER_TOKEN + 1


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def system_text(prompt: str, snippets: Sequence[str]) -> str:
    """The instructions, followed by the notes other plugins found for this question."""
    notes = [s.strip() for s in snippets if s.strip()]
    if not notes:
        return prompt
    listed = "\n".join(f"- {note}" for note in notes)
    return f"{prompt}\n\nNotes that may help with this question:\n{listed}".strip()


def bounded(history: Sequence[Turn], max_messages: int, max_tokens: int) -> list[Turn]:
    """The newest turns that fit both bounds, oldest first."""
    kept: list[Turn] = []
    budget = max_tokens
    for turn in reversed(history[-max_messages:] if max_messages else []):
        budget -= approx_tokens(turn.content)
        if budget < 0:
            break
        kept.append(turn)
    kept.reverse()
    return kept


def messages(
    prompt: str,
    snippets: Sequence[str],
    history: Sequence[Turn],
    question: str,
    *,
    max_messages: int,
    max_tokens: int,
) -> list[dict[str, Any]]:
    """The chat messages for one question."""
    system = system_text(prompt, snippets)
    result: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for turn in bounded(history, max_messages, max_tokens - approx_tokens(question)):
        if turn.role == TOOLS:
            result += tool_messages(json.loads(turn.content))
        else:
            result.append({"role": turn.role, "content": turn.content})
    result.append({"role": "user", "content": question})
    return result


def tool_messages(calls: list[dict[str, str]], text: str = "") -> list[dict[str, Any]]:
    """One round of tool calls as the API takes it: the assistant's calls, then each result."""
    asked = {
        "role": "assistant",
        "content": text or None,
        "tool_calls": [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for c in calls
        ],
    }
    return [
        asked,
        *({"role": "tool", "tool_call_id": c["id"], "content": c["result"]} for c in calls),
    ]
