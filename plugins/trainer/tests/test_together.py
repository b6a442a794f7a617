"""Fine-tuning on Together AI: the official ``together`` SDK against the fake Together server."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import (
    KEY_ENV,
    TOGETHER_KEY,
    TOGETHER_KEY_ENV,
    both_backends,
    health,
    offered_models,
    poll,
    qa_lines,
    replies_and_logs,
)

from botkit_testkit.together_server import DEFAULT_MODEL, FakeTogether


@pytest.fixture
def start_together(start: Any, together_config: dict[str, Any]) -> Any:
    def factory(**settings: Any) -> Any:
        return start(**{**together_config, **settings})

    return factory


async def learn(bot: Any, count: int = 3) -> None:
    await bot.send("!train", attachments=[bot.attachment("set.jsonl", qa_lines(count, "q"))])


async def start_job(bot: Any, args: str = "") -> str:
    replies = await bot.send(f"!train start {args}".strip())
    found = re.search(r"`(ft-[^`]+)`", replies.text)
    assert found, replies.text
    return found.group(1)


def announcements(bot: Any) -> list[str]:
    return [
        s.text
        for s in bot.adapter.sent
        if s.text.startswith("Fine-tuning job") and " started on " not in s.text
    ]


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


@both_backends
async def test_sft_job_runs_to_completion(start_together: Any, together: FakeTogether) -> None:
    async with start_together() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
        [job] = together.jobs.values()
        assert replies.text == (
            f"Fine-tuning job `{job['id']}` started on {DEFAULT_MODEL} at together (supervised, "
            f"3 examples from dataset default). I will announce the result here; follow it "
            f"with `!job {job['id']}`."
        )
        listing = await bot.send("!jobs")
        together.set_job_status(job["id"], "running")
        status = await bot.send(f"!job {job['id']}")
        together.set_job_status(job["id"], "completed")
        await poll(bot)
        models = await offered_models(bot)
        built = (bot.data_dir / "datasets/500/default/build/supervised.jsonl").read_bytes()
    assert together.uploaded(job["training_file"]) == built
    assert lines(built)[0]["messages"][-1] == {"role": "assistant", "content": "answer 0."}
    assert job["request"]["training_method"] == {"method": "sft", "train_on_inputs": "auto"}
    assert (job["model"], job["suffix"]) == (DEFAULT_MODEL, "botkit")
    assert listing.text == f"`{job['id']}` dataset default, supervised: pending"
    assert status.text == (
        f"Job `{job['id']}` (dataset default, supervised): **running**\n"
        "[info] running\n[info] Fine tune request created"
    )
    output = job["model_output_name"]
    assert announcements(bot) == [
        f"Fine-tuning job `{job['id']}` (dataset default) succeeded: model `{output}` is ready."
    ]
    assert models == [output]


async def test_the_upload_follows_togethers_flow(
    start_together: Any, together: FakeTogether
) -> None:
    async with start_together() as bot:
        await learn(bot)
        await start_job(bot)
    [file_id] = together.files
    assert [(r.method, r.path) for r in together.requests] == [
        ("POST", "/v1/files"),
        ("PUT", f"/upload/{file_id}"),
        ("POST", f"/v1/files/{file_id}/preprocess"),
        ("GET", "/v1/fine-tunes/models/limits"),
        ("POST", "/v1/fine-tunes/estimate-price"),
        ("POST", "/v1/fine-tunes"),
    ]
    assert together.requests[0].form["file_name"] == "supervised.jsonl"


async def test_dpo_job_runs_to_completion(start_together: Any, together: FakeTogether) -> None:
    async with start_together() as bot:
        await learn(bot)
        for i in range(3):
            await bot.send(f"!train negative q {i}? => wrong {i}.")
        job_id = await start_job(bot, "default dpo")
        together.set_job_status(job_id, "completed")
        await poll(bot)
    job = together.jobs[job_id]
    assert job["request"]["training_method"]["method"] == "dpo"
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model "
        f"`{job['model_output_name']}` is ready."
    ]
    assert lines(together.uploaded(job["training_file"]))[1] == {
        "input": {"messages": [{"role": "user", "content": "q 1?"}]},
        "preferred_output": [{"role": "assistant", "content": "answer 1."}],
        "non_preferred_output": [{"role": "assistant", "content": "wrong 1."}],
    }


async def test_failure_is_announced_with_the_reason_from_the_events(
    start_together: Any, together: FakeTogether
) -> None:
    async with start_together() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        together.set_job_status(job_id, "error", error="Training data has sequences too long")
        await poll(bot)
        status = await bot.send(f"!job {job_id}")
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) failed: Training data has sequences "
        "too long."
    ]
    assert "**failed**, error: Training data has sequences too long" in status.text


@both_backends
async def test_cancel(start_together: Any, together: FakeTogether) -> None:
    async with start_together() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        replies = await bot.send(f"!job cancel {job_id}")
        await poll(bot)
    assert replies.text == f"Job `{job_id}` is cancelled."
    assert together.jobs[job_id]["status"] == "cancelled"
    assert announcements(bot) == []


async def test_a_wrong_key_is_explained_and_never_shown(
    start_together: Any, together: FakeTogether, monkeypatch: Any, caplog: Any
) -> None:
    together.echo_key = True
    wrong = "tgp_v1_wrong-key-0123456789"
    monkeypatch.setenv(TOGETHER_KEY_ENV, wrong)
    async with start_together() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text.startswith("Fine-tuning did not start: the Together API answered 401: ")
    assert replies.text.endswith(f"Check the key in {TOGETHER_KEY_ENV}.")
    seen = replies_and_logs(replies, caplog)
    assert wrong not in seen and TOGETHER_KEY not in seen
    assert together.jobs == {}


async def test_an_unknown_base_model_is_refused(
    start_together: Any, together: FakeTogether
) -> None:
    async with start_together(base_model="someone/no-such-model") as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text == (
        "Fine-tuning did not start: the Together API answered 404: Model someone/no-such-model "
        "is not available for fine-tuning."
    )
    assert together.files == {}  # the upload no job refers to is deleted again


async def test_a_file_together_rejects(start_together: Any, together: FakeTogether) -> None:
    together.reject_next_file("line 2: 'messages' has an unsupported tool call")
    async with start_together() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text == (
        "Fine-tuning did not start: the Together API refused the file: line 2: 'messages' has "
        "an unsupported tool call."
    )
    assert together.jobs == {}


async def test_a_suffix_over_40_characters_is_refused_before_upload(
    start_together: Any, together: FakeTogether
) -> None:
    async with start_together(suffix="s" * 41) as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text.splitlines()[:2] == [
        "Dataset default is not ready for supervised fine-tuning:",
        f"- the suffix '{'s' * 41}' is 41 characters; Together allows at most 40 "
        "([trainer] suffix)",
    ]
    assert together.requests == []


@both_backends
async def test_a_job_is_followed_across_a_restart(
    start_together: Any, together: FakeTogether
) -> None:
    async with start_together() as bot:
        await learn(bot)
        job_id = await start_job(bot)
    together.set_job_status(job_id, "completed")
    async with start_together() as bot:
        await poll(bot)
    output = together.jobs[job_id]["model_output_name"]
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model `{output}` is ready."
    ]


async def test_a_together_job_is_followed_after_switching_to_openai(
    start_together: Any, start: Any, together: FakeTogether, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TOGETHER_API_KEY", TOGETHER_KEY)  # jobs of other providers: default keys
    async with start_together() as bot:
        await learn(bot)
        job_id = await start_job(bot)
    together.set_job_status(job_id, "completed")
    async with start() as bot:  # [trainer] back on the default provider, openai
        await poll(bot)
        listing = await bot.send("!jobs")
    output = together.jobs[job_id]["model_output_name"]
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default, on together) succeeded: model "
        f"`{output}` is ready."
    ]
    assert listing.text.endswith("(on together)")


async def test_doctor_checks_the_key_and_the_base_model(
    start_together: Any, monkeypatch: Any
) -> None:
    async with start_together(base_model="someone/no-such-model") as bot:
        [problem] = await health(bot)
        monkeypatch.delenv(TOGETHER_KEY_ENV)
        [missing] = await health(bot)
    assert problem.message == (
        "base_model: Together does not fine-tune the base model 'someone/no-such-model'"
    )
    assert missing.severity == "warning"
    assert missing.message.startswith(f"{TOGETHER_KEY_ENV} is not set, so fine-tuning on together")
    assert KEY_ENV not in missing.message


async def test_a_service_that_does_not_answer_times_out(
    start_together: Any, together: FakeTogether
) -> None:
    together.hang_next("/v1/fine-tunes")
    async with start_together(request_timeout=0.5) as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text == "Fine-tuning did not start: the Together API did not answer in time."
