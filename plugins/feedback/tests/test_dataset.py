"""The export validator: every line must be a valid example of its kind."""

from __future__ import annotations

import json

import pytest
from botkit_feedback.dataset import InvalidExample, validate_line

USER = {"role": "user", "content": "Capital of Australia?"}
GOOD = {"role": "assistant", "content": "Canberra."}
BAD = {"role": "assistant", "content": "Sydney."}


def test_a_valid_sft_line_passes():
    validate_line(json.dumps({"messages": [USER, GOOD]}), "sft")


def test_a_valid_dpo_line_passes():
    line = {
        "input": {"messages": [USER]},
        "preferred_output": [GOOD],
        "non_preferred_output": [BAD],
    }
    validate_line(json.dumps(line), "dpo")


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("{not json", "line 3 is not JSON"),
        ("[1, 2]", "line 3: not a JSON object"),
        (json.dumps({"messages": []}), "line 3: messages must be a non-empty list"),
        (json.dumps({"messages": [USER]}), "line 3: messages must end with an assistant message"),
        (json.dumps({"messages": [GOOD]}), "line 3: messages have no user message"),
        (
            json.dumps({"messages": [{"role": "robot", "content": "hi"}, GOOD]}),
            "line 3: messages[0] has role 'robot' (system, user or assistant)",
        ),
        (
            json.dumps({"messages": [USER, {"role": "assistant", "content": "  "}]}),
            "line 3: messages[1] has no content",
        ),
    ],
)
def test_a_bad_sft_line_is_rejected(line, error):
    with pytest.raises(InvalidExample) as caught:
        validate_line(line, "sft", 3)
    assert str(caught.value).startswith(error)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ({"preferred_output": [GOOD]}, "input must be an object holding messages"),
        (
            {"input": {"messages": [USER, GOOD]}, "preferred_output": [GOOD]},
            "input.messages must end with a user message",
        ),
        (
            {"input": {"messages": [USER]}, "preferred_output": [GOOD]},
            "non_preferred_output must be a non-empty list",
        ),
        (
            {
                "input": {"messages": [USER]},
                "preferred_output": [USER],
                "non_preferred_output": [BAD],
            },
            "preferred_output must be exactly one assistant message",
        ),
        (
            {
                "input": {"messages": [USER]},
                "preferred_output": [GOOD],
                "non_preferred_output": [{"role": "assistant", "content": ""}],
            },
            "non_preferred_output[0] has no content",
        ),
    ],
)
def test_a_bad_dpo_line_is_rejected(line, error):
    with pytest.raises(InvalidExample) as caught:
        validate_line(json.dumps(line), "dpo")
    assert str(caught.value) == f"line 1: {error}"
