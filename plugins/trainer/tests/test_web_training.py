"""The trainer's page of the web console: datasets, jobs, a job's events and its training loss
drawn as a chart when the service reports it."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import aiohttp
import botkit_trainer
import pytest
from conftest import BEFORE_OPENAI_CLOSES, qa_lines

from botkit.web.tokens import Grant
from botkit_testkit.openai_server import FakeOpenAI

PAGE = "/s/500/p/trainer/training"


@pytest.fixture
def web_trainer(botkit_harness: Callable[..., Any], trainer_config: dict[str, Any]):
    return lambda: botkit_harness(
        plugins={"trainer": botkit_trainer},
        config={
            "trainer": trainer_config,
            "web": {"listen": "127.0.0.1:0"},
            "bot": {"owner_ids": ["1"]},
        },
        wall_clock=lambda: BEFORE_OPENAI_CLOSES,
    )


async def page_of(bot: Any, path: str, grant: Grant) -> tuple[int, str, str]:
    """(status, HTML, text) of ``path`` for ``grant``, signed in with a one-time link."""
    token = (await bot.bot.web.link(grant)).rsplit("/", 1)[1]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        base = bot.bot.web.base_url
        async with http.post(base + "/login", data={"token": token}):
            pass
        async with http.get(base + path) as response:
            text = await response.text()
            return response.status, text, unescape(re.sub(r"<[^>]+>", " ", text))


ADMIN = Grant("2", "admin", spaces=("500",))


async def started_job(bot: Any) -> str:
    await bot.send("!train", attachments=[bot.attachment("set.jsonl", qa_lines(3))])
    replies = await bot.send("!train start")
    found = re.search(r"`(ftjob-[^`]+)`", replies.text)
    assert found, replies.text
    return found[1]


async def test_datasets_and_jobs_are_listed(web_trainer, fake: FakeOpenAI) -> None:
    async with web_trainer() as bot:
        job_id = await started_job(bot)
        status, html, text = await page_of(bot, PAGE, ADMIN)
    assert status == 200
    assert re.search(r"default\s+3\s+0\s+0", text)
    assert f'href="{PAGE}?job={job_id}"' in html


async def test_a_job_shows_its_events_and_loss_chart(web_trainer, fake: FakeOpenAI) -> None:
    async with web_trainer() as bot:
        job_id = await started_job(bot)
        fake.report_loss(job_id, [2.5, 1.2, 0.6])
        fake.set_job_status(job_id, "succeeded")
        status, html, text = await page_of(bot, f"{PAGE}?job={job_id}", ADMIN)
    assert status == 200
    assert "succeeded" in text
    assert "Step 3/3: training loss=0.60" in text
    assert f'<title id="loss-t">Training loss of {job_id}</title>' in html
    assert "3 points; training loss 2.5 at step 1, 0.6 at 3." in text
    assert html.count("<polyline") == 1


async def test_a_job_without_loss_says_so(web_trainer, fake: FakeOpenAI) -> None:
    async with web_trainer() as bot:
        job_id = await started_job(bot)
        _, html, text = await page_of(bot, f"{PAGE}?job={job_id}", ADMIN)
    assert "The service has reported no training loss for this job." in text
    assert "<svg" not in html


async def test_another_servers_admin_sees_no_job(web_trainer, fake: FakeOpenAI) -> None:
    async with web_trainer() as bot:
        job_id = await started_job(bot)
        status, _, text = await page_of(
            bot, f"/s/501/p/trainer/training?job={job_id}", Grant("2", "admin", spaces=("501",))
        )
    assert status == 200
    assert f"No job {job_id} here." in text


async def test_a_datasets_examples_are_shown(web_trainer, fake: FakeOpenAI) -> None:
    async with web_trainer() as bot:
        await bot.send("!train", attachments=[bot.attachment("set.jsonl", qa_lines(2, "<q>"))])
        _, html, text = await page_of(bot, f"{PAGE}?dataset=default", ADMIN)
    assert re.search(r"positive\s+<q> 1\?\s+answer 1\.", text)
    assert "<q>" not in html  # escaped
    assert "No documents." in text


async def test_an_unknown_dataset_is_named(web_trainer, fake: FakeOpenAI) -> None:
    async with web_trainer() as bot:
        _, _, text = await page_of(bot, f"{PAGE}?dataset=nope", ADMIN)
    assert "No dataset nope here." in text
