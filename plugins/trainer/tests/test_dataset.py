"""Building supervised and preference JSONL, and checking it like the fine-tuning API."""

from __future__ import annotations

import json

from botkit_trainer.dataset import DPO, SUPERVISED, build, to_jsonl, validate


def conversation(question: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def check(data: bytes, method: str = SUPERVISED, minimum: int = 2) -> list[str]:
    return validate(data, method, min_examples=minimum, max_bytes=10_000)


def test_positive_and_negative_answers_make_a_preference_pair() -> None:
    built = build(
        [
            ("positive", conversation("2+2?", "4")),
            ("negative", conversation("2+2?", "5")),
            ("positive", conversation("capital?", "Paris")),
            ("negative", conversation("unpaired?", "nope")),
        ]
    )
    assert [r["messages"][-1]["content"] for r in built.supervised] == ["4", "Paris"]
    assert built.preference == [
        {
            "input": {"messages": [{"role": "user", "content": "2+2?"}]},
            "preferred_output": [{"role": "assistant", "content": "4"}],
            "non_preferred_output": [{"role": "assistant", "content": "5"}],
        }
    ]


def test_jsonl_is_one_object_a_line() -> None:
    data = to_jsonl([{"messages": conversation("é?", "ü")}] * 2)
    lines = data.decode().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["messages"][0]["content"] == "é?"


def test_valid_supervised_file_passes() -> None:
    assert check(to_jsonl([{"messages": conversation("a", "b")}] * 2)) == []


def test_too_few_examples() -> None:
    assert check(to_jsonl([{"messages": conversation("a", "b")}]), minimum=10) == [
        "1 usable examples; fine-tuning needs at least 10"
    ]


def test_empty_content_bad_role_and_last_message() -> None:
    records = [
        {"messages": conversation("a", "")},
        {"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "y"}]},
        {"messages": [{"role": "user", "content": "only a question"}]},
    ]
    assert check(to_jsonl(records), minimum=1) == [
        "0 usable examples; fine-tuning needs at least 1",
        "line 1: message 2 has empty content",
        "line 2: message 1 has role 'robot'; use system, user or assistant",
        "line 3: the last message must be the assistant's answer",
    ]


def test_lines_that_are_not_one_json_object() -> None:
    data = b'{"messages": []}\n[1, 2]\n{not json\n\n'
    problems = check(data, minimum=1)
    assert problems[1:] == [
        "line 1: there are no messages",
        "line 2: not a JSON object",
        "line 3: not valid JSON",
        "line 4: empty line",
    ]


def test_size_cap() -> None:
    data = to_jsonl([{"messages": conversation("a" * 6000, "b")}] * 2)
    assert validate(data, SUPERVISED, min_examples=1, max_bytes=10_000)[0].startswith(
        "the file is 12 KB; the limit is 10 KB"
    )


def test_preference_record_rules() -> None:
    good = {
        "input": {"messages": [{"role": "user", "content": "q"}]},
        "preferred_output": [{"role": "assistant", "content": "yes"}],
        "non_preferred_output": [{"role": "assistant", "content": "no"}],
    }
    two_outputs = {**good, "preferred_output": good["preferred_output"] * 2}
    ends_with_assistant = {
        **good,
        "input": {"messages": conversation("q", "a")},
    }
    problems = check(to_jsonl([good, two_outputs, ends_with_assistant]), DPO, minimum=1)
    assert problems == [
        "line 2: preferred_output must hold exactly one assistant message",
        "line 3: input.messages must end with a user message",
    ]
