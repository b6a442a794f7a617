"""Fine-tuning on Fireworks AI: the official ``fireworks-ai`` SDK against the fake server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from botkit_trainer.providers.fireworks_provider import id_problem, new_dataset_id
from botkit_trainer.settings import TrainerSettings
from conftest import (
    FIREWORKS_KEY,
    FIREWORKS_KEY_ENV,
    both_backends,
    health,
    offered_models,
    poll,
    qa_lines,
    replies_and_logs,
)

from botkit.config import ConfigError, build_settings
from botkit_testkit.fireworks_server import DEFAULT_MODEL, FakeFireworks


@pytest.fixture
def start_fireworks(start: Any, fireworks_config: dict[str, Any]) -> Any:
    def factory(**settings: Any) -> Any:
        return start(**{**fireworks_config, **settings})

    return factory


async def learn(bot: Any, count: int = 3) -> None:
    await bot.send("!train", attachments=[bot.attachment("set.jsonl", qa_lines(count, "q"))])


async def start_job(bot: Any, args: str = "") -> str:
    replies = await bot.send(f"!train start {args}".strip())
    found = re.search(r"Fine-tuning job `([^`]+)` started", replies.text)
    assert found, replies.text
    return found.group(1)


def announcements(bot: Any) -> list[str]:
    return [
        s.text
        for s in bot.adapter.sent
        if s.text.startswith("Fine-tuning job") and " started on " not in s.text
    ]


@both_backends
async def test_sft_job_runs_to_completion(start_fireworks: Any, fireworks: FakeFireworks) -> None:
    async with start_fireworks() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
        [(job_id, job)] = fireworks.jobs.items()
        listing = await bot.send("!jobs")
        fireworks.set_job_state(job_id, "JOB_STATE_RUNNING")
        status = await bot.send(f"!job {job_id}")
        fireworks.set_job_state(job_id, "JOB_STATE_COMPLETED")
        await poll(bot)
        models = await offered_models(bot)
        built = (bot.data_dir / "datasets/500/default/build/supervised.jsonl").read_bytes()
    assert replies.text == (
        f"Fine-tuning job `{job_id}` started on {DEFAULT_MODEL} at fireworks (supervised, "
        f"3 examples from dataset default). I will announce the result here; follow it with "
        f"`!job {job_id}`."
    )
    [(dataset_name, dataset)] = fireworks.datasets.items()
    assert re.fullmatch(r"accounts/acme/datasets/botkit-default-\d{14}-[0-9a-f]{4}", dataset_name)
    assert (job["dataset"], job["baseModel"]) == (dataset_name, DEFAULT_MODEL)
    assert (dataset["exampleCount"], dataset["userUploaded"]) == ("3", {})
    assert fireworks.uploads[dataset_name] == built
    assert listing.text == f"`{job_id}` dataset default, supervised: creating"
    assert status.text == (
        f"Job `{job_id}` (dataset default, supervised): **running**\n[info] state running"
    )
    model = f"accounts/acme/models/{job_id}"
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model `{model}` is ready. "
        "Deploy it on fireworks before chatting with it."
    ]
    assert models == [model]


async def test_the_dataset_is_used_only_once_it_is_ready(
    start_fireworks: Any, fireworks: FakeFireworks
) -> None:
    fireworks.processing_polls = 2
    async with start_fireworks() as bot:
        await learn(bot)
        await start_job(bot)
    [name] = fireworks.datasets
    dataset_id = name.rsplit("/", 1)[1]
    get = f"/v1/accounts/acme/datasets/{dataset_id}"
    assert [(r.method, r.path) for r in fireworks.requests] == [
        ("POST", "/v1/accounts/acme/datasets"),
        ("POST", f"{get}:upload"),
        ("GET", get),
        ("GET", get),
        ("GET", get),
        ("POST", "/v1/accounts/acme/supervisedFineTuningJobs"),
    ]


async def test_each_job_gets_a_new_dataset(start_fireworks: Any, fireworks: FakeFireworks) -> None:
    async with start_fireworks() as bot:
        await learn(bot)
        await start_job(bot)
        await start_job(bot)
    assert len(fireworks.datasets) == 2 and len(fireworks.jobs) == 2


async def test_dpo_job_runs_to_completion(start_fireworks: Any, fireworks: FakeFireworks) -> None:
    async with start_fireworks() as bot:
        await learn(bot)
        for i in range(3):
            await bot.send(f"!train negative q {i}? => wrong {i}.")
        job_id = await start_job(bot, "default dpo")
        fireworks.set_job_state(job_id, "JOB_STATE_COMPLETED")
        await poll(bot)
    job = fireworks.jobs[job_id]
    assert job["name"] == f"accounts/acme/dpoJobs/{job_id}"
    assert job["trainingConfig"]["baseModel"] == DEFAULT_MODEL
    uploaded = fireworks.uploads[job["dataset"]].decode().splitlines()
    assert json.loads(uploaded[0]) == {
        "input": {"messages": [{"role": "user", "content": "q 0?"}]},
        "preferred_output": [{"role": "assistant", "content": "answer 0."}],
        "non_preferred_output": [{"role": "assistant", "content": "wrong 0."}],
    }
    assert announcements(bot)[0].startswith(
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model "
        f"`accounts/acme/models/{job_id}` is ready."
    )


async def test_failure_is_announced_with_the_reason(
    start_fireworks: Any, fireworks: FakeFireworks
) -> None:
    async with start_fireworks() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fireworks.set_job_state(job_id, "JOB_STATE_FAILED", message="Dataset has 2 bad rows")
        await poll(bot)
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) failed: Dataset has 2 bad rows."
    ]


@both_backends
async def test_cancel(start_fireworks: Any, fireworks: FakeFireworks) -> None:
    async with start_fireworks() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        replies = await bot.send(f"!job cancel {job_id}")
    assert replies.text == f"Job `{job_id}` is cancelled."
    assert ("POST", f"/v1/accounts/acme/supervisedFineTuningJobs/{job_id}:cancel") in [
        (r.method, r.path) for r in fireworks.requests
    ]


async def test_a_wrong_key_is_explained_and_never_shown(
    start_fireworks: Any, fireworks: FakeFireworks, monkeypatch: Any, caplog: Any
) -> None:
    fireworks.echo_key = True
    wrong = "fw_wrong-key-abcdef012345"
    monkeypatch.setenv(FIREWORKS_KEY_ENV, wrong)
    async with start_fireworks() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text.startswith("Fine-tuning did not start: the Fireworks API answered 401: ")
    assert replies.text.endswith(f"Check the key in {FIREWORKS_KEY_ENV}.")
    seen = replies_and_logs(replies, caplog)
    assert wrong not in seen and FIREWORKS_KEY not in seen


async def test_an_unknown_base_model_is_refused(
    start_fireworks: Any, fireworks: FakeFireworks
) -> None:
    async with start_fireworks(base_model="accounts/fireworks/models/nope") as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text == (
        "Fine-tuning did not start: the Fireworks API answered 400: Base model "
        "accounts/fireworks/models/nope is not available for fine-tuning."
    )
    assert fireworks.jobs == {}


async def test_a_file_fireworks_rejects(start_fireworks: Any, fireworks: FakeFireworks) -> None:
    fireworks.reject_next_upload("Line 3: each example needs at least one assistant turn")
    async with start_fireworks() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text == (
        "Fine-tuning did not start: the Fireworks API answered 400: Line 3: each example needs "
        "at least one assistant turn."
    )
    assert fireworks.jobs == {}


async def test_too_few_examples_for_fireworks(start_fireworks: Any) -> None:
    async with start_fireworks(min_examples=1) as bot:
        await learn(bot, 2)
        replies = await bot.send("!train start")
    assert replies.text.splitlines()[1] == "- 2 usable examples; fine-tuning needs at least 3"


@both_backends
async def test_a_job_is_followed_across_a_restart(
    start_fireworks: Any, fireworks: FakeFireworks
) -> None:
    async with start_fireworks() as bot:
        await learn(bot)
        job_id = await start_job(bot)
    fireworks.set_job_state(job_id, "JOB_STATE_FAILED", message="Out of quota")
    async with start_fireworks() as bot:
        await poll(bot)
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) failed: Out of quota."
    ]


def test_account_id_is_required() -> None:
    with pytest.raises(ConfigError, match="account_id is required with provider = 'fireworks'"):
        build_settings(TrainerSettings, {"provider": "fireworks"}, "botkit.toml", "trainer")


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ConfigError, match="provider must be one of fireworks, openai, together"):
        build_settings(TrainerSettings, {"provider": "acme"}, "botkit.toml", "trainer")


def test_each_provider_has_its_defaults() -> None:
    settings = build_settings(
        TrainerSettings, {"provider": "fireworks", "account_id": "a"}, "botkit.toml", "trainer"
    )
    assert (settings.base_url, settings.api_key_env, settings.base_model) == (
        "https://api.fireworks.ai/v1",
        "FIREWORKS_API_KEY",
        DEFAULT_MODEL,
    )


def test_dataset_ids_follow_fireworks_rules() -> None:
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    made = new_dataset_id("Support_FAQ " + "x" * 80, when)
    assert id_problem(made) is None and len(made) <= 63
    assert made.startswith("botkit-support-faq-xxx") and "-20261201093000-" in made
    assert id_problem("9starts-with-a-digit") is not None
    assert id_problem("Upper") is not None
    assert id_problem("a" * 64) is not None


async def test_doctor_checks_the_key_and_the_base_model(
    start_fireworks: Any, fireworks: FakeFireworks, monkeypatch: Any
) -> None:
    fireworks.models["accounts/fireworks/models/frozen"] = False
    async with start_fireworks(base_model="accounts/fireworks/models/frozen") as bot:
        [problem] = await health(bot)
        monkeypatch.delenv(FIREWORKS_KEY_ENV)
        [missing] = await health(bot)
    assert problem.message == (
        "base_model: Fireworks cannot fine-tune the base model 'accounts/fireworks/models/frozen'"
    )
    assert missing.message.startswith(
        f"{FIREWORKS_KEY_ENV} is not set, so fine-tuning on fireworks"
    )


def test_defaults_written_by_init_follow_a_changed_provider() -> None:
    written = {
        "provider": "together",
        "base_url": "https://api.openai.com/v1",
        "api_key_env": "OPENAI_API_KEY",
        "base_model": "gpt-4o-mini-2024-07-18",
    }
    settings = build_settings(TrainerSettings, written, "botkit.toml", "trainer")
    assert (settings.base_url, settings.api_key_env, settings.base_model) == (
        "https://api.together.ai/v1",
        "TOGETHER_API_KEY",
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
    )


async def test_a_dataset_that_never_gets_ready_is_given_up(
    start_fireworks: Any, fireworks: FakeFireworks
) -> None:
    fireworks.processing_polls = 1000
    async with start_fireworks(dataset_ready_timeout=0.3) as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    [name] = fireworks.datasets
    assert replies.text == (
        f"Fine-tuning did not start: the Fireworks dataset {name.rsplit('/', 1)[1]} was not "
        "ready after 0.3 s; try again later."
    )
    assert fireworks.jobs == {}
