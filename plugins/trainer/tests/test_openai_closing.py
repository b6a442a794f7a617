"""OpenAI takes no new fine-tuning jobs from 2027-01-06 (new organisations already since
2026-05-07, answered 403 training_not_available): the trainer says so, uploads nothing, and
names the providers that still take new jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botkit_trainer.settings import TrainerSettings
from conftest import health, qa_lines

from botkit.config import render_section
from botkit_testkit.openai_server import FakeOpenAI

LAST_DAY = datetime(2027, 1, 6, tzinfo=UTC).timestamp()
ADVICE = (
    "Providers that still take new jobs: together, fireworks. To switch, set "
    '`[trainer] provider = "together"` in botkit.toml (its key goes in TOGETHER_API_KEY) '
    "and restart the bot."
)


async def test_on_the_last_day_nothing_is_uploaded(start: Any, fake: FakeOpenAI) -> None:
    async with start(wall_clock=lambda: LAST_DAY) as bot:
        await bot.send("!train", attachments=[bot.attachment("a.jsonl", qa_lines(3))])
        replies = await bot.send("!train start")
    assert replies.text == (
        "Fine-tuning did not start: provider openai takes no new fine-tuning jobs since "
        "2027-01-06, so nothing was uploaded. Jobs started before go on, and their models keep "
        f"working. {ADVICE}"
    )
    assert [r.path for r in fake.requests] == []
    assert fake.files == {} and fake.jobs == {}


async def test_a_refused_job_leaves_nothing_at_the_service(start: Any, fake: FakeOpenAI) -> None:
    fake.training_available = False
    async with start() as bot:
        await bot.send("!train", attachments=[bot.attachment("a.jsonl", qa_lines(3))])
        first = await bot.send("!train start")
        asked = len(fake.requests)
        again = await bot.send("!train start")
        status = bot.status("trainer")
    assert first.text == (
        "Fine-tuning did not start: provider openai takes no new fine-tuning jobs from this "
        "account (training_not_available); the uploaded file was deleted from it. " + ADVICE
    )
    assert again.text == first.text
    assert len(fake.requests) == asked  # the second attempt uploads nothing at all
    assert fake.files == {} and fake.jobs == {}
    assert status.failures == 0


async def test_health_warns_before_the_last_day_and_errs_after(
    start: Any, trainer_config: dict[str, Any]
) -> None:
    now = [LAST_DAY - 1]
    async with start(wall_clock=lambda: now[0]) as bot:
        [before] = await health(bot)
        now[0] = LAST_DAY
        [after] = await health(bot)
    assert (before.severity, before.message, before.fix) == (
        "warning",
        "provider openai stops taking new fine-tuning jobs on 2027-01-06 (organisations "
        "created since 2026-05-07 already cannot start any); providers that still take new "
        "jobs: together, fireworks",
        'set [trainer] provider = "together" and its key',
    )
    assert after.severity == "error"
    assert after.message.startswith("provider openai takes no new fine-tuning jobs since 2027")


async def test_other_providers_get_no_warning(start: Any, together_config: dict[str, Any]) -> None:
    async with start(**together_config, wall_clock=lambda: LAST_DAY) as bot:
        assert await health(bot) == []


def test_botkit_init_presents_the_providers_that_take_new_jobs() -> None:
    section = render_section("trainer", TrainerSettings)
    assert (
        "# fine-tuning service: together or fireworks (openai takes no new jobs from "
        "2027-01-06, nor from organisations created since 2026-05-07), or an added one\n"
        'provider = "openai"'
    ) in section
