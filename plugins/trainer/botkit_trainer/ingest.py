"""Turning text and files into Q&A examples and prose documents."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import attrs

from botkit_trainer.dataset import message_problem
from botkit_trainer.text import clean, cleaned

EXTENSIONS = (".txt", ".md", ".jsonl", ".csv")
PROSE_EXTENSIONS = (".txt", ".md")
QA_SEPARATOR = "=>"
MAX_PROBLEMS = 5

Messages = tuple[dict[str, str], ...]


@attrs.frozen
class QA:
    """A conversation whose last message is the answer; ``label`` set only by preference rows."""

    messages: Messages
    label: str | None = None


@attrs.frozen
class Document:
    """Prose for the document store."""

    name: str
    text: str


@attrs.define
class Parsed:
    """What one file or text yielded, and the rows that could not be used."""

    qa: list[QA] = attrs.Factory(list)
    documents: list[Document] = attrs.Factory(list)
    problems: list[str] = attrs.Factory(list)


def parse_inline(text: str) -> Parsed:
    """``question => answer`` is a Q&A example; any other text is a document."""
    parsed = Parsed()
    if QA_SEPARATOR in text:
        prompt, answer = (part.strip() for part in text.split(QA_SEPARATOR, 1))
        if prompt and answer:
            parsed.qa.append(QA(_pair(prompt, answer)))
        else:
            parsed.problems.append(
                f"write a question and an answer: `question {QA_SEPARATOR} answer`"
            )
    elif text.strip():
        parsed.documents.append(Document("inline text", text.strip()))
    return parsed


def parse_file(name: str, data: bytes) -> Parsed:
    """Parse a .txt, .md, .jsonl or .csv file (UTF-8)."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in EXTENSIONS:
        return Parsed(problems=[f"{name}: only {', '.join(EXTENSIONS)} files can be used"])
    try:
        text = clean(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return Parsed(problems=[f"{name}: not UTF-8 text"])
    if suffix in PROSE_EXTENSIONS:
        text = text.strip()
        return Parsed(documents=[Document(name, text)] if text else [])
    if suffix == ".jsonl":
        return _parse_jsonl(name, text)
    return _parse_csv(name, text)


def _parse_jsonl(name: str, text: str) -> Parsed:
    parsed = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = cleaned(json.loads(line))
        except (ValueError, RecursionError):
            parsed.problems.append(f"{name} line {number}: not valid JSON")
            continue
        add_record(parsed, row, f"{name} line {number}")
    return parsed


def _parse_csv(name: str, text: str) -> Parsed:
    parsed = Parsed()
    try:
        reader = csv.DictReader(io.StringIO(text))
        columns = {(c or "").strip().lower(): c for c in reader.fieldnames or ()}
        if not ({"prompt", "completion"} <= columns.keys() or "messages" in columns):
            parsed.problems.append(f"{name}: a CSV needs prompt and completion columns")
            return parsed
        for number, row in enumerate(reader, 2):
            values = {key: row.get(column) or "" for key, column in columns.items()}
            if "messages" in values and values["messages"].strip():
                try:
                    values["messages"] = cleaned(json.loads(values["messages"]))
                except (ValueError, RecursionError):
                    parsed.problems.append(f"{name} row {number}: messages is not valid JSON")
                    continue
            else:
                values.pop("messages", None)
            add_record(parsed, values, f"{name} row {number}")
    except csv.Error as exc:
        parsed.problems.append(f"{name}: not readable as CSV ({exc})")
    return parsed


def add_record(parsed: Parsed, row: Any, where: str) -> None:
    """A row with messages, prompt/completion or a preference pair becomes Q&A examples."""
    if not isinstance(row, dict):
        parsed.problems.append(f"{where}: expected a JSON object")
        return
    if "preferred_output" in row or "non_preferred_output" in row:
        _add_preference(parsed, row, where)
        return
    if "messages" in row:
        messages = _messages(row["messages"])
    elif "prompt" in row and "completion" in row:
        messages = _pair(str(row["prompt"]).strip(), str(row["completion"]).strip())
    else:
        parsed.problems.append(f"{where}: needs messages, or prompt and completion")
        return
    problem = message_problem(messages)
    if problem:
        parsed.problems.append(f"{where}: {problem}")
    else:
        parsed.qa.append(QA(messages))


def _add_preference(parsed: Parsed, row: dict[str, Any], where: str) -> None:
    source = row.get("input")
    prompt = _messages(source.get("messages") if isinstance(source, dict) else None)
    good = _messages(row.get("preferred_output"))
    bad = _messages(row.get("non_preferred_output"))
    usable = len(good) == len(bad) == 1
    if not usable or message_problem(prompt + good) or message_problem(prompt + bad):
        parsed.problems.append(
            f"{where}: a preference row needs input.messages ending with a user message and "
            "one assistant message in preferred_output and in non_preferred_output"
        )
        return
    parsed.qa += [QA(prompt + good, "positive"), QA(prompt + bad, "negative")]


def _messages(value: Any) -> Messages:
    """Keep role and content of each message; anything malformed becomes an empty tuple."""
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        return ()
    return tuple(
        {"role": str(m.get("role", "")), "content": m.get("content")}  # content checked later
        for m in value
    )


def _pair(prompt: str, answer: str) -> Messages:
    return ({"role": "user", "content": prompt}, {"role": "assistant", "content": answer})


def split_passages(text: str, limit: int) -> list[str]:
    """Paragraphs joined up to ``limit`` characters; longer ones cut at sentences, then words."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            pieces += _cut(paragraph, limit)
    passages: list[str] = []
    for piece in pieces:
        if passages and len(passages[-1]) + 1 + len(piece) <= limit:
            passages[-1] += "\n" + piece
        else:
            passages.append(piece)
    return passages


def _cut(paragraph: str, limit: int) -> list[str]:
    if len(paragraph) <= limit:
        return [paragraph]
    parts: list[str] = []
    for unit in re.split(r"(?<=[.!?…])\s+", paragraph):
        words = unit.split(" ") if len(unit) > limit else [unit]
        for word in words:
            while len(word) > limit:
                parts.append(word[:limit])
                word = word[limit:]
            if parts and len(parts[-1]) + 1 + len(word) <= limit:
                parts[-1] += " " + word
            else:
                parts.append(word)
    return parts
