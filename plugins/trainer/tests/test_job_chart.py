"""``!job <id>`` attaches the training loss as a PNG chart when the service reports it."""

from __future__ import annotations

import io
import re
from typing import Any

from conftest import qa_lines
from PIL import Image

from botkit_testkit.openai_server import FakeOpenAI


async def started_job(bot: Any) -> str:
    await bot.send("!train", attachments=[bot.attachment("set.jsonl", qa_lines(3))])
    found = re.search(r"`(ftjob-[^`]+)`", (await bot.send("!train start")).text)
    assert found
    return found[1]


async def test_job_attaches_the_loss_chart(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        job_id = await started_job(bot)
        fake.report_loss(job_id, [2.0, 1.0, 0.5])
        replies = await bot.send(f"!job {job_id}")
    [chart] = replies.files
    assert chart.filename == f"loss-{job_id}.png"
    image = Image.open(io.BytesIO(chart.read_bytes()))
    assert (image.format, image.size) == ("PNG", (1280, 520))
    assert "Step 3/3: training loss=0.50" in replies.text


async def test_job_without_loss_attaches_nothing(start: Any, fake: FakeOpenAI) -> None:
    async with start() as bot:
        job_id = await started_job(bot)
        replies = await bot.send(f"!job {job_id}")
    assert replies.files == []
    assert f"Job `{job_id}`" in replies.text
