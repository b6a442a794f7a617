"""Fine-tuning: building, checking, uploading, starting, following and announcing jobs."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs
import pytest
from botkit_trainer.state import configured
from botkit_trainer.tables import examples, jobs
from conftest import (
    KEY_ENV,
    Corrections,
    both_backends,
    health,
    poll,
    qa_lines,
    runtime,
    trainer_settings,
)
from sqlalchemy import select

from botkit import Channel, Context, command, hookimpl
from botkit.testing import RecordingAdapter
from botkit_testkit.openai_server import FakeOpenAI


async def learn(bot: Any, count: int = 3, name: str = "set.jsonl", prefix: str = "q") -> None:
    await bot.send("!train", attachments=[bot.attachment(name, qa_lines(count, prefix))])


async def start_job(bot: Any, args: str = "") -> str:
    replies = await bot.send(f"!train start {args}".strip())
    found = re.search(r"`(ftjob-[^`]+)`", replies.text)
    assert found, replies.text
    return found.group(1)


def uploaded(fake: FakeOpenAI) -> list[dict[str, Any]]:
    [stored] = fake.files.values()
    return [json.loads(line) for line in stored.bytes.decode().splitlines()]


def announcements(bot: Any) -> list[str]:
    """What the poller posted (not the replies to !train start)."""
    return [
        s.text
        for s in bot.adapter.sent
        if s.text.startswith("Fine-tuning job") and " started on " not in s.text
    ]


@both_backends
async def test_start_uploads_the_file_and_creates_the_job(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
        [job] = fake.jobs.values()
        assert replies.text == (
            f"Fine-tuning job `{job['id']}` started on gpt-4o-mini (supervised, 3 examples from "
            f"dataset default). I will announce the result here; follow it with "
            f"`!job {job['id']}`."
        )
        async with bot.bot.storage.session() as session:
            row = (await session.execute(select(jobs))).mappings().one()
        build = bot.data_dir / "datasets" / "500" / "default" / "build"
        assert (build / "supervised.jsonl").read_bytes() == fake.files[job["training_file"]].bytes
    [stored] = fake.files.values()
    assert (stored.purpose, stored.filename) == ("fine-tune", "default-supervised.jsonl")
    assert uploaded(fake)[0] == {
        "messages": [
            {"role": "user", "content": "q 0?"},
            {"role": "assistant", "content": "answer 0."},
        ]
    }
    assert (job["model"], job["method"], job["user_provided_suffix"]) == (
        "gpt-4o-mini",
        {"type": "supervised"},
        "botkit",
    )
    assert (row["id"], row["status"], row["channel_id"], row["base_url"]) == (
        job["id"],
        "validating_files",
        "600",
        fake.base_url,
    )


async def test_preference_pairs_make_a_dpo_job(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        for i in range(3):
            await bot.send(f"!train negative q {i}? => wrong {i}.")
        await start_job(bot)
    [job] = fake.jobs.values()
    assert job["method"] == {"type": "dpo"}
    assert uploaded(fake)[2] == {
        "input": {"messages": [{"role": "user", "content": "q 2?"}]},
        "preferred_output": [{"role": "assistant", "content": "answer 2."}],
        "non_preferred_output": [{"role": "assistant", "content": "wrong 2."}],
    }


async def test_sft_can_be_forced_over_dpo(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        for i in range(3):
            await bot.send(f"!train negative q {i}? => wrong {i}.")
        await start_job(bot, "default sft")
    [job] = fake.jobs.values()
    assert job["method"] == {"type": "supervised"} and len(uploaded(fake)) == 3


async def test_too_few_examples_are_refused_before_upload(start: Any, fake: FakeOpenAI) -> None:
    async with start(min_examples=10) as bot:
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text == (
        "Dataset default is not ready for supervised fine-tuning:\n"
        "- 3 usable examples; fine-tuning needs at least 10\n"
        "Add examples with !train and try again."
    )
    assert fake.requests == []


async def test_dpo_without_pairs_is_refused(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        replies = await bot.send("!train start default dpo")
    assert "0 usable examples; fine-tuning needs at least 3" in replies.text
    assert fake.jobs == {}


async def test_unknown_dataset_and_bad_method(start: Any) -> None:
    async with start() as bot:
        missing = await bot.send("!train start nothing")
        method = await bot.send("!train start default rl")
    assert missing.text == "There is no dataset 'nothing' yet. See !datasets."
    assert method.text == "Method must be auto, sft or dpo, not 'rl'."


async def test_corrections_from_other_plugins_are_included(start: Any, fake: FakeOpenAI) -> None:
    corrections = Corrections(
        [
            {
                "kind": "sft",
                "messages": [
                    {"role": "user", "content": "Who wrote the seed bot?"},
                    {"role": "assistant", "content": "A developer, in Russian docs."},
                ],
            },
            {
                "kind": "dpo",
                "input": {"messages": [{"role": "user", "content": "q 0?"}]},
                "preferred_output": [{"role": "assistant", "content": "answer 0."}],
                "non_preferred_output": [{"role": "assistant", "content": "no idea"}],
            },
            {"kind": "sft", "messages": [{"role": "user", "content": ""}]},
        ]
    )
    async with start({"feedback": corrections}) as bot:
        await learn(bot)
        replies = await bot.send("!train start default sft")
        assert "4 examples from dataset default, 2 new correction(s) included" in replies.text
        async with bot.bot.storage.session() as session:
            sources = (await session.execute(select(examples.c.source, examples.c.label))).all()
    assert sorted(sources) == [
        ("correction", "negative"),
        ("correction", "positive"),
        ("file", "positive"),
        ("file", "positive"),
        ("file", "positive"),
    ]
    contents = [r["messages"][-1]["content"] for r in uploaded(fake)]
    assert "A developer, in Russian docs." in contents
    assert "no idea" not in contents


async def test_api_refusal_is_explained(start: Any, fake: FakeOpenAI) -> None:
    fake.fail_next(400, "Model gpt-4o-mini is not available.", path="/fine_tuning/jobs")
    async with start() as bot:
        await learn(bot)
        replies = await bot.send("!train start")
        listing = await bot.send("!jobs")
    assert listing.text.startswith("No fine-tuning jobs yet.")
    assert replies.text == (
        "Fine-tuning did not start: the fine-tuning API answered 400: "
        "Model gpt-4o-mini is not available."
    )


async def test_missing_key_is_explained(start: Any, monkeypatch: Any) -> None:
    async with start() as bot:
        monkeypatch.delenv(KEY_ENV)
        await learn(bot)
        replies = await bot.send("!train start")
    assert replies.text == (
        f"Fine-tuning needs an API key: the bot's owner must set the environment variable "
        f"{KEY_ENV}. Documents and !test work without it."
    )


async def test_start_is_for_admins(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train start", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can use this command."


async def test_job_shows_live_status_and_events(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.set_job_status(job_id, "running")
        replies = await bot.send(f"!job {job_id}")
    assert replies.text == (
        f"Job `{job_id}` (dataset default, supervised): **running**\n"
        "[info] Job status changed to running\n"
        f"[info] Created fine-tuning job: {job_id}"
    )


@both_backends
async def test_job_shows_the_stored_status_when_the_api_is_down(
    start: Any, fake: FakeOpenAI
) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.fail_next(503, "overloaded", path=f"/fine_tuning/jobs/{job_id}")
        replies = await bot.send(f"!job {job_id}")
    assert replies.text == (
        f"Job `{job_id}` (dataset default, supervised): **validating_files**\n"
        "(live status unavailable: the fine-tuning API answered 503: overloaded; "
        "showing the stored one)"
    )


async def test_job_without_a_key_shows_the_stored_status(
    start: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
    monkeypatch.delenv(KEY_ENV)
    async with start() as bot:
        replies = await bot.send(f"!job {job_id}")
    assert replies.text == (
        f"Job `{job_id}` (dataset default, supervised): **validating_files**\n"
        f"(live status needs {KEY_ENV}; showing the stored one)"
    )


async def test_jobs_lists_this_servers_jobs(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        assert (await bot.send("!jobs")).text.startswith("No fine-tuning jobs yet.")
        await learn(bot)
        job_id = await start_job(bot)
        listing = await bot.send("!jobs")
    assert listing.text == f"`{job_id}` dataset default, supervised: validating_files"


async def test_unknown_job(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!job ftjob-nope")
    assert replies.text == "No job 'ftjob-nope' in this server. See !jobs."


@both_backends
async def test_success_is_announced_and_the_model_offered(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.set_job_status(job_id, "succeeded", fine_tuned_model="ft:gpt-4o-mini:org:botkit:x1")
        await poll(bot)
        await poll(bot)
        offered = await bot.call_all("botkit_models", guild_id="500")
        elsewhere = await bot.call_all("botkit_models", guild_id="9")
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model "
        "`ft:gpt-4o-mini:org:botkit:x1` is ready."
    ]
    assert bot.adapter.sent[-1].channel_id == "600"
    assert offered == [("trainer", ["ft:gpt-4o-mini:org:botkit:x1"])]
    assert elsewhere == [("trainer", [])]


class ModelCommand:
    """Stands in for the chat plugin's !model."""

    @hookimpl
    def botkit_commands(self) -> list[Any]:
        async def model(ctx: Context, name: str) -> str:
            return name

        return [command(model)]


async def test_success_suggests_model_when_the_chat_plugin_has_it(
    start: Any, fake: FakeOpenAI
) -> None:
    async with start({"chat": ModelCommand()}) as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.set_job_status(job_id, "succeeded", fine_tuned_model="ft:m")
        await poll(bot)
    assert announcements(bot)[0].endswith("is ready. Switch to it with `!model ft:m`.")


async def test_failure_is_announced_with_the_reason(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.set_job_status(job_id, "failed", error="Training file has invalid lines.")
        await poll(bot)
        status = await bot.send(f"!job {job_id}")
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) failed: Training file has invalid lines."
    ]
    assert "**failed**, error: Training file has invalid lines." in status.text


async def test_cancelled_on_the_provider_is_announced(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.set_job_status(job_id, "cancelled")
        await poll(bot)
    assert announcements(bot) == [f"Fine-tuning job `{job_id}` (dataset default) was cancelled."]


@both_backends
async def test_cancel_command(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        member = await bot.send(f"!job cancel {job_id}", user=bot.member)
        replies = await bot.send(f"!job cancel {job_id}")
        again = await bot.send(f"!job cancel {job_id}")
        await poll(bot)
    assert member.text == "Only server admins (Manage Server) can use this command."
    assert replies.text == f"Job `{job_id}` is cancelled."
    assert again.text == f"Job {job_id} has already cancelled; nothing to cancel."
    assert fake.jobs[job_id]["status"] == "cancelled"
    assert announcements(bot) == []


async def test_unfinished_jobs_are_only_followed(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.set_job_status(job_id, "running")
        await poll(bot)
        assert announcements(bot) == []
        fake.fail_next(500, "down", path=f"/fine_tuning/jobs/{job_id}")
        fake.set_job_status(job_id, "succeeded")
        await poll(bot)
        assert announcements(bot) == []
        await poll(bot)
        assert len(announcements(bot)) == 1


@attrs.define
class FlakyAdapter(RecordingAdapter):
    """Fails the next ``failures`` sends, as a Discord outage would."""

    failures: int = 0

    async def send(self, channel: Channel, text: str, files: Any, reply_to: str | None) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Discord is down")
        return await super().send(channel, text, files, reply_to)


async def test_an_announcement_that_failed_is_retried(start: Any, fake: FakeOpenAI) -> None:
    adapter = FlakyAdapter()
    async with start(adapter=adapter) as bot:
        await learn(bot)
        job_id = await start_job(bot)
        fake.set_job_status(job_id, "failed", error="bad file")
        adapter.failures = 1
        await poll(bot)
        assert announcements(bot) == []
        await poll(bot)
    assert announcements(bot) == [f"Fine-tuning job `{job_id}` (dataset default) failed: bad file."]


async def test_two_processes_announce_once(start: Any, fake: FakeOpenAI) -> None:
    async with start() as first, start() as second:
        await learn(first)
        job_id = await start_job(first)
        fake.set_job_status(job_id, "cancelled")
        await poll(first)
        await poll(second)
    assert len(announcements(first)) + len(announcements(second)) == 1


@both_backends
async def test_the_poller_resumes_after_a_restart(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
    fake.set_job_status(job_id, "succeeded", fine_tuned_model="ft:gpt-4o-mini:org:botkit:r1")
    async with start() as bot:
        await poll(bot)
        offered = await bot.call_all("botkit_models", guild_id="500")
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model "
        "`ft:gpt-4o-mini:org:botkit:r1` is ready."
    ]
    assert offered == [("trainer", ["ft:gpt-4o-mini:org:botkit:r1"])]


@both_backends
async def test_jobs_of_another_base_url_are_still_followed(
    start: Any, fake: FakeOpenAI, trainer_config: dict[str, Any]
) -> None:
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
    fake.set_job_status(job_id, "succeeded", fine_tuned_model="ft:gpt-4o-mini:org:botkit:o1")
    async with start(base_url="http://127.0.0.1:9/v1") as bot:
        await poll(bot)
        replies = await bot.send(f"!job {job_id}")
    assert announcements(bot) == [
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model "
        "`ft:gpt-4o-mini:org:botkit:o1` is ready."
    ]
    assert replies.text.startswith(f"Job `{job_id}` (dataset default, supervised): **succeeded")
    assert (
        f"(on openai at {trainer_config['base_url']}, not the configured base URL)" in replies.text
    )


async def test_health_warns_about_a_missing_key(start: Any, monkeypatch: Any) -> None:
    async with start() as bot:
        [closing] = await health(bot)  # OpenAI's last day for new jobs comes
        monkeypatch.delenv(KEY_ENV)
        [again, problem] = await health(bot)
    assert again == closing
    assert problem.severity == "warning"
    assert (
        KEY_ENV in problem.message and "documents, !train and !test still work" in problem.message
    )


async def test_each_bot_has_its_own_poller_and_client(start: Any) -> None:
    async with start() as first, start() as second:
        runtimes = (runtime(first), runtime(second))
        pollers = (runtimes[0].poller, runtimes[1].poller)
        clients = [
            await r.client(trainer_settings(b), configured(trainer_settings(b)))
            for r, b in zip(runtimes, (first, second), strict=True)
        ]
        sdk_clients = [c._client for c in clients]
    assert pollers[0] is not pollers[1]
    assert clients[0] is not clients[1]
    assert sdk_clients[0].is_closed() and sdk_clients[1].is_closed()


async def test_jobs_by_status_are_reported_for_metrics(
    start: Any, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botkit import PluginHandle

    reported: list[dict[str, int]] = []
    monkeypatch.setattr(
        PluginHandle, "set_job_counts", lambda plugin, counts: reported.append(counts)
    )
    async with start() as bot:
        await learn(bot)
        job_id = await start_job(bot)
        await poll(bot)
        fake.set_job_status(job_id, "succeeded", fine_tuned_model="ft:m")
        await poll(bot)
        await poll(bot)
    assert sum(reported[-3].values()) == 1 and "succeeded" not in reported[-3]
    assert reported[-2] == {"succeeded": 1}  # finished, announced in this round
    assert reported[-1] == {}
