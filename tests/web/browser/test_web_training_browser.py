"""The plugins' pages in a real browser: a correction approved on the web is in the export,
and a fine-tuning job's loss is drawn as a chart."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import botkit_trainer
import pytest
from botkit_feedback import FeedbackPlugin
from web_kit import ADMIN, START, link_for

from botkit import Context, hookimpl
from botkit.testing import start_harness
from botkit_testkit.openai_server import FakeOpenAI

KEY_ENV = "BOTKIT_WEB_TRAINER_KEY"
ANSWER = "The capital of Australia is Sydney."


class Answerer:
    """A chat plugin with one (wrong) answer."""

    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return ANSWER


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key="sk-web") as server:
        yield server


@pytest.fixture
async def bot(tmp_path, fake, monkeypatch) -> AsyncIterator[Any]:
    """A bot with the feedback and trainer plugins (corrections reviewed before export)."""
    monkeypatch.setenv(KEY_ENV, "sk-web")
    config = {
        "bot": {"owner_ids": ["1"]},
        "web": {"listen": "127.0.0.1:0"},
        "feedback": {"review_first": True},
        "trainer": {
            "base_url": fake.base_url,
            "api_key_env": KEY_ENV,
            "max_retries": 0,
            "poll_interval": 3600.0,
            "min_examples": 3,
            "base_model": "gpt-4o-mini",
        },
    }
    plugins = {
        "feedback": FeedbackPlugin(now=lambda: START),
        "trainer": botkit_trainer,
        "chat": Answerer(),
    }
    async with start_harness(
        plugins, config=config, data_dir=tmp_path / "data", wall_clock=lambda: START
    ) as started:
        yield started


async def sign_in(page, bot) -> None:
    await page.goto(await link_for(bot, ADMIN))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/s/500/$"))


async def test_a_correction_approved_on_the_web_is_in_the_export(bot, page, shots) -> None:
    answer = (await bot.send("What is the capital of Australia?", mention=True))[0]
    await bot.send(f"!correct {answer.id} Canberra.")
    answer = (await bot.send("And of Canada?", mention=True))[0]
    await bot.send(f"!correct {answer.id} Toronto.")
    await bot.send("!feedback Answers about capitals are often wrong.")
    before = await bot.send("!corrections export sft", user=bot.admin)
    assert "No correction here is approved yet" in before.text
    await sign_in(page, bot)
    await page.get_by_role("link", name="Corrections").click()
    await page.screenshot(path=shots / "corrections.png", full_page=True)
    await page.get_by_role("button", name="Approve correction 1").click()
    assert "Correction 1 approved." in await page.get_by_role("status").inner_text()
    await page.get_by_role("button", name="Reject correction 2").click()
    assert "Correction 2 rejected." in await page.get_by_role("status").inner_text()
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="SFT (JSONL)").click()
    download = await waiting.value
    saved = await download.path()
    exported = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]
    assert download.suggested_filename == "corrections-sft-20240601.jsonl"
    assert [line["messages"][-1]["content"] for line in exported] == ["Canberra."]
    chat = await bot.send("!corrections export sft", user=bot.admin)
    assert chat.text.startswith("1 SFT example(s) from 1 correction(s).")


async def test_a_jobs_training_loss_is_a_chart(bot, page, shots, fake) -> None:
    lines = "".join(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"q {i}?"},
                    {"role": "assistant", "content": f"answer {i}."},
                ]
            }
        )
        + "\n"
        for i in range(3)
    )
    await bot.send("!train", attachments=[bot.attachment("set.jsonl", lines.encode())])
    started = await bot.send("!train start")
    job_id = re.search(r"`(ftjob-[^`]+)`", started.text)[1]
    fake.report_loss(job_id, [2.4, 1.9, 1.3, 1.0, 0.8, 0.7, 0.65, 0.6])
    fake.set_job_status(job_id, "succeeded")
    await sign_in(page, bot)
    await page.get_by_role("link", name="Training").click()
    await page.screenshot(path=shots / "training.png", full_page=True)
    await page.get_by_role("link", name=job_id).click()
    chart = page.get_by_role("img", name=f"Training loss of {job_id}")
    assert await chart.is_visible()
    assert "Step 8/8: training loss=0.60" in await page.inner_text("main")
    await page.screenshot(path=shots / "training-job.png", full_page=True)


async def test_the_plugins_pages_are_small_and_fit_a_phone(bot, page) -> None:
    answer = (await bot.send("What is the capital of Australia?", mention=True))[0]
    await bot.send(f"!correct {answer.id} Canberra.")
    await page.set_viewport_size({"width": 375, "height": 740})
    await sign_in(page, bot)
    for path in ("p/feedback/review", "p/trainer/training"):
        response = await page.goto(re.sub(r"/s/500/.*", f"/s/500/{path}", page.url))
        assert response is not None and len(await response.body()) < 100_000, path
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375, path
        unlabelled = await page.evaluate(
            "[...document.querySelectorAll('input:not([type=hidden]),textarea,select')]"
            ".filter(f => !f.labels.length).length"
        )
        assert unlabelled == 0, path
