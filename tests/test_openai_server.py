"""Tests for the fake OpenAI server, driven by the real openai client."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
import pytest_asyncio

from botkit_testkit.openai_server import FakeOpenAI, start_in_subprocess

pytestmark = pytest.mark.asyncio

KEY = "sk-test"
HELLO = [{"role": "user", "content": "hello there"}]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=KEY) as fake:
        yield fake


@pytest_asyncio.fixture
async def client(server: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as api:
        yield api


async def test_plain_completion(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert completion.choices[0].message.content == "echo: hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 3)
    assert completion.usage.total_tokens == 5
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/chat/completions")
    assert request.json["messages"] == HELLO
    assert "authorization" not in {name.lower() for name in request.headers}
    assert KEY not in str(request.headers)


async def test_stream_chunks_reassemble(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    server.chat_handler = lambda body: "one two three four five six seven eight"
    stream = await client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
    chunks = [chunk async for chunk in stream]
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) >= 3
    assert "".join(pieces) == "one two three four five six seven eight"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in chunks)


async def test_stream_include_usage(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o",
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 5


async def test_custom_async_handler_sees_messages(
    server: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    seen: list[dict[str, Any]] = []

    async def handler(body: dict[str, Any]) -> str:
        seen.append(body)
        return f"{len(body['messages'])} messages"

    server.chat_handler = handler
    messages: Any = [{"role": "system", "content": "be brief"}, *HELLO]
    completion = await client.chat.completions.create(model="gpt-4o", messages=messages)
    assert completion.choices[0].message.content == "2 messages"
    assert seen[0]["messages"] == messages


async def test_unknown_model_not_found(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await client.chat.completions.create(model="gpt-9", messages=HELLO)
    assert caught.value.code == "model_not_found"


async def test_models_list_and_retrieve(client: openai.AsyncOpenAI) -> None:
    assert [model.id async for model in client.models.list()] == ["gpt-4o", "gpt-4o-mini"]
    assert (await client.models.retrieve("gpt-4o")).id == "gpt-4o"
    with pytest.raises(openai.NotFoundError):
        await client.models.retrieve("gpt-9")


async def test_bad_key_unauthorized(server: FakeOpenAI) -> None:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-bad", max_retries=0) as api:
        with pytest.raises(openai.AuthenticationError) as caught:
            await api.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert caught.value.code == "invalid_api_key"
    assert "sk-bad" not in str(server.requests[0].headers)


async def test_fail_next_rate_limit(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    server.fail_next(429, "slow down")
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    assert caught.value.response.headers["retry-after"] == "0"
    assert "slow down" in caught.value.message
    await client.chat.completions.create(model="gpt-4o", messages=HELLO)


async def test_fail_next_server_error_times(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    server.fail_next(500, times=2)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="gpt-4o", messages=HELLO)
    await client.chat.completions.create(model="gpt-4o", messages=HELLO)


async def test_hang_next_times_out(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    server.hang_next()
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(model="gpt-4o", messages=HELLO, timeout=0.5)
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 1.0


async def test_delay(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    server.delay = 0.2
    started = time.monotonic()
    await client.models.list()
    assert time.monotonic() - started >= 0.2


async def test_files_upload_list_content_delete(
    server: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    data = b'{"messages": []}\n'
    uploaded = await client.files.create(file=("train.jsonl", data), purpose="fine-tune")
    assert (uploaded.filename, uploaded.bytes, uploaded.status) == (
        "train.jsonl",
        len(data),
        "processed",
    )
    assert uploaded.id.startswith("file-")
    assert server.files[uploaded.id].bytes == data
    assert server.requests[-1].form == {"purpose": "fine-tune"}
    assert [f.id async for f in client.files.list()] == [uploaded.id]
    assert (await client.files.retrieve(uploaded.id)).purpose == "fine-tune"
    assert (await client.files.content(uploaded.id)).content == data
    assert (await client.files.delete(uploaded.id)).deleted
    with pytest.raises(openai.NotFoundError):
        await client.files.retrieve(uploaded.id)


async def test_fine_tuning_job_lifecycle(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    training = await client.files.create(file=("t.jsonl", b"a b c\n"), purpose="fine-tune")
    method: Any = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}}
    job = await client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training.id, suffix="bot", method=method
    )
    assert (job.status, job.training_file, job.fine_tuned_model) == (
        "validating_files",
        training.id,
        None,
    )
    assert job.method is not None and job.method.type == "supervised"
    assert [j.id async for j in client.fine_tuning.jobs.list(limit=10)] == [job.id]

    server.set_job_status(job.id, "running")
    server.set_job_status(job.id, "succeeded", fine_tuned_model="ft:gpt-4o-mini:org:bot:1")
    done = await client.fine_tuning.jobs.retrieve(job.id)
    assert (done.status, done.fine_tuned_model) == ("succeeded", "ft:gpt-4o-mini:org:bot:1")
    assert done.finished_at is not None
    tuned = await client.chat.completions.create(model=done.fine_tuned_model, messages=HELLO)
    assert tuned.model == "ft:gpt-4o-mini:org:bot:1"
    events = [e async for e in client.fine_tuning.jobs.list_events(job.id)]
    assert [e.message for e in events][:2] == [
        "Job status changed to succeeded",
        "Job status changed to running",
    ]
    with pytest.raises(openai.BadRequestError):
        await client.fine_tuning.jobs.cancel(job.id)


async def test_fine_tuning_cancel(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    training = await client.files.create(file=("t.jsonl", b"x\n"), purpose="fine-tune")
    job = await client.fine_tuning.jobs.create(model="gpt-4o", training_file=training.id)
    cancelled = await client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    assert server.jobs[job.id]["status"] == "cancelled"


async def test_fine_tuning_missing_training_file(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-missing")
    assert "file-missing" in caught.value.message


async def test_speech_returns_audio(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    speech = await client.audio.speech.create(
        model="gpt-4o-mini-tts", input="hi", voice="alloy", response_format="wav"
    )
    assert speech.content == server.speech_audio
    assert speech.content.startswith(b"RIFF")
    assert speech.response.headers["content-type"] == "audio/wav"


async def test_transcription_json_and_text(server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    audio = ("clip.wav", server.speech_audio)
    result = await client.audio.transcriptions.create(model="whisper-1", file=audio)
    assert result.text == "hello world"
    assert server.requests[-1].files["file"] == server.speech_audio
    server.transcript = "plain words"
    text = await client.audio.transcriptions.create(
        model="whisper-1", file=audio, response_format="text"
    )
    assert text.strip() == "plain words"


async def test_subprocess_answers_completion() -> None:
    with start_in_subprocess(api_key=KEY) as (process, base_url):
        assert process.poll() is None
        async with openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0) as api:
            completion = await api.chat.completions.create(model="gpt-4o", messages=HELLO)
        assert completion.choices[0].message.content == "echo: hello there"
    assert process.returncode is not None
