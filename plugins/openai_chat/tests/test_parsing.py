"""Whatever a server sends back, reading it gives an answer or one of the SDK's errors."""

from __future__ import annotations

import json

import httpx2
import openai
from botkit_openai_chat.client import Answer, Usage, parse_chunk, parse_completion
from hypothesis import given, settings
from hypothesis import strategies as st

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["choices", "message", "content", "refusal", "usage", "delta", "error"])
SHAPED = st.recursive(
    st.none() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=15,
)
RAW = (JSON | SHAPED).map(json.dumps) | st.text() | st.just("[" * 5000 + "]" * 5000)


def response(content: str) -> httpx2.Response:
    return httpx2.Response(200, content=content.encode("utf-8", "replace"), request=REQUEST)


@settings(max_examples=500)
@given(RAW)
def test_any_completion_body_is_an_answer_or_an_sdk_error(raw: str) -> None:
    try:
        answer = parse_completion(response(raw))
    except openai.APIResponseValidationError as exc:
        assert exc.status_code == 200
    else:
        assert isinstance(answer, Answer)
        assert isinstance(answer.text, str)


@settings(max_examples=500)
@given(RAW)
def test_any_stream_chunk_is_pieces_or_an_sdk_error(raw: str) -> None:
    try:
        pieces = parse_chunk(response(""), raw)
    except openai.APIError:
        return
    assert all(isinstance(p, str | Usage) for p in pieces)


def test_a_well_formed_completion_is_read() -> None:
    body = {
        "choices": [{"message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    assert parse_completion(response(json.dumps(body))) == Answer("hi", Usage(3, 1))


def test_an_error_event_in_a_stream_raises_the_sdk_error() -> None:
    data = json.dumps({"error": {"message": "the model fell over"}})
    try:
        parse_chunk(response(""), data)
    except openai.APIError as exc:
        assert exc.message == "the model fell over"
    else:
        raise AssertionError("no error raised")


def test_a_refusal_is_read_as_one() -> None:
    body = {"choices": [{"message": {"content": None, "refusal": "I cannot help with that."}}]}
    answer = parse_completion(response(json.dumps(body)))
    assert answer == Answer("I cannot help with that.", None, refused=True)
