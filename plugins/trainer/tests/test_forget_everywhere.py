"""!forgetme reaches every copy of a person's words: Y asks, X corrects the answer, the
correction becomes a training example and is uploaded; after Y's !forgetme nothing holding
Y's question is left in the database, the data directory or the fine-tuning service, and the
next !train start uploads none of it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from botkit_feedback import FeedbackPlugin
from conftest import Chat, qa_lines
from sqlalchemy import inspect, select, table, text

from botkit_testkit.openai_server import FakeOpenAI

SECRET = "Zanzibaria"
QUESTION = f"What is the capital of {SECRET}?"


def files_holding(root: Path, needle: str) -> list[str]:
    """Every file under ``root``, and every member of its zips, holding ``needle``."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if needle.encode() in data:
            found.append(str(path))
        if path.suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                found += [
                    f"{path}:{n}" for n in archive.namelist() if needle.encode() in archive.read(n)
                ]
    return found


async def rows_holding(bot: Any, needle: str) -> list[str]:
    """Every row of every table of the database that holds ``needle``."""
    async with bot.bot.storage.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        found = []
        for name in names:
            for row in (await conn.execute(select(text("*")).select_from(table(name)))).all():
                found += [f"{name}: {value}" for value in row if needle in str(value)]
    return found


def uploaded(fake: FakeOpenAI, start: int = 0) -> list[bytes]:
    """The training files uploaded to the fake service from request ``start`` on."""
    return [r.files["file"] for r in fake.requests[start:] if r.path == "/files" and r.files]


async def test_forgetting_the_asker_reaches_the_corrections_of_the_answer(
    start: Any, fake: FakeOpenAI
) -> None:
    plugins = {"feedback": FeedbackPlugin(now=lambda: 1_700_000_000.0), "chat": Chat({})}
    async with start(plugins) as bot:
        answer = await bot.send(QUESTION, mention=True, user=bot.member)  # Y asks
        await bot.send(f"!correct {answer[0].id} Stone Town.", user=bot.admin)  # X corrects
        await bot.send("!train", attachments=[bot.attachment("own.jsonl", qa_lines(3, "own"))])
        await bot.send("!train start default sft")
        await bot.send("!archive datasets")
        before = (
            uploaded(fake),
            files_holding(bot.data_dir, SECRET),
            await rows_holding(bot, SECRET),
        )
        mydata = await bot.send("!mydata", user=bot.member)
        await bot.send("!forgetme", user=bot.member)
        await bot.send("!forgetme confirm", user=bot.member)
        files_after = files_holding(bot.data_dir, SECRET)
        rows_after = await rows_holding(bot, SECRET)
        stored_at_service = [f.bytes for f in fake.files.values()]
        asked = len(fake.requests)
        again = await bot.send("!train start default sft")
        uploaded_again = uploaded(fake, asked)
    assert SECRET.encode() in before[0][0]
    assert before[1] and before[2]  # the built file, the archive, the example rows
    assert "- trainer: 2 training examples\n" in mydata.text  # the SFT and the DPO record
    assert files_after == [] and rows_after == []
    assert not any(SECRET.encode() in data for data in stored_at_service)
    assert again.text.startswith("Fine-tuning job `")
    assert len(uploaded_again) == 1 and SECRET.encode() not in uploaded_again[0]
