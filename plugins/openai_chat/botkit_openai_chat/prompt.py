"""The messages sent to the model: instructions and notes, bounded history, the question."""

from __future__ import annotations

from collections.abc import Sequence

from botkit_openai_chat.store import Turn

CHARS_PER_TOKEN = 4


def approx_tokens(text: str) -> int:
    """A rough token count (about four characters a token), good enough for bounds."""
    return len(text) // CHARS_PER_TOKEN + 1


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
) -> list[dict[str, str]]:
    """The chat messages for one question."""
    system = system_text(prompt, snippets)
    result = [{"role": "system", "content": system}] if system else []
    result += [
        {"role": t.role, "content": t.content}
        for t in bounded(history, max_messages, max_tokens - approx_tokens(question))
    ]
    result.append({"role": "user", "content": question})
    return result
