"""The seed commands through the Discord adapter (discord.py against a fake Discord)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import botkit_trainer
import pytest
from conftest import Chat, poll, qa_lines

from botkit_testkit.openai_server import FakeOpenAI


@pytest.fixture
def discord_start(
    discord_harness: Callable[..., Any],
    trainer_config: dict[str, Any],
) -> Callable[..., Any]:
    def factory(plugins: dict[str, object] | None = None) -> Any:
        return discord_harness(
            plugins={"trainer": botkit_trainer, **(plugins or {})},
            config={"trainer": trainer_config},
        )

    return factory


async def test_train_with_text_and_attachment(discord_start: Any) -> None:
    async with discord_start() as dh:
        inline = await dh.message("!train What is botkit? => A bot framework.", author=dh.member)
        asked = dh.last_message_id
        files = await dh.message(
            "!train negative",
            author=dh.member,
            attachments=[dh.attachment("../bad.jsonl", qa_lines(2))],
        )
        folder = dh.data_dir / "datasets" / str(dh.guild) / "default"
        saved = sorted(p.name for p in folder.iterdir())
    assert inline.text == "Dataset **default**: added 1 positive and 0 negative Q&A examples."
    assert files.text == "Dataset **default**: added 0 positive and 2 negative Q&A examples."
    assert int(inline[0].json["message_reference"]["message_id"]) == asked
    assert saved == ["bad.jsonl"]


async def test_train_slash_command_with_a_file(discord_start: Any) -> None:
    async with discord_start() as dh:
        replies = await dh.slash(
            "train", author=dh.member, file=dh.attachment("faq.jsonl", qa_lines(3))
        )
        start = await dh.slash("train_start", author=dh.admin, dataset="default", method="sft")
    assert replies.text == "Dataset **default**: added 3 positive and 0 negative Q&A examples."
    assert start.text.startswith("Fine-tuning job `ftjob-")


async def test_train_refuses_a_bad_attachment(discord_start: Any) -> None:
    async with discord_start() as dh:
        replies = await dh.message(
            "!train", author=dh.member, attachments=[dh.attachment("run.sh", b"rm -rf /")]
        )
    assert replies.text == (
        "run.sh: I can learn from .txt, .md, .jsonl, .csv, .zip files only. Nothing was stored."
    )


async def test_test_scores_through_the_chat_plugin(discord_start: Any) -> None:
    chat = Chat({"2+2?": "4", "Capital of France?": "Lyon"})
    cases = json.dumps(
        [
            {"input": "2+2?", "expected": "4"},
            {"input": "Capital of France?", "expected": "Paris"},
        ]
    )
    async with discord_start({"chat": chat}) as dh:
        replies = await dh.message(f"!test {cases}", author=dh.member)
        bad = await dh.message("!test [oops", author=dh.member)
    assert replies.text.splitlines()[:3] == [
        "1. ✅ 1.00 2+2? → 4",
        "2. ❌ 0.00 Capital of France? → Lyon (expected: Paris)",
        "Accuracy: 1/2 (50%).",
    ]
    assert bad.text.startswith("That is not valid JSON (")


async def test_archive_attaches_the_zip(discord_start: Any) -> None:
    async with discord_start() as dh:
        notes = dh.data_dir / "notes"
        notes.mkdir(parents=True)
        (notes / "a.txt").write_text("alpha")
        replies = await dh.message("!archive notes", author=dh.owner)
        refused = await dh.message("!archive ../..", author=dh.owner)
        member = await dh.message("!archive notes", author=dh.member)
    [sent] = replies.files
    assert sent.filename.startswith("notes-") and sent.filename.endswith(".zip")
    assert zipfile.ZipFile(io.BytesIO(sent.data)).namelist() == ["a.txt"]
    assert refused.text.startswith("the path leads outside the directory.")
    assert member.text == "Only the bot's owner can use this command."


async def test_select_dataset(discord_start: Any) -> None:
    async with discord_start() as dh:
        folder = dh.data_dir / "faq"
        folder.mkdir(parents=True)
        (folder / "a.jsonl").write_bytes(qa_lines(2))
        replies = await dh.message("!select_dataset faq positive", author=dh.owner)
    assert replies.text.startswith(
        "Dataset **faq**: added 2 positive and 0 negative Q&A examples.\n"
        "!train now adds to dataset **faq**.\nArchived 1 file(s) into `archives/faq-"
    )
    assert len(replies.files) == 1


async def test_job_outcome_is_announced_in_the_starting_channel(
    discord_start: Any, fake: FakeOpenAI
) -> None:
    async with discord_start() as dh:
        await dh.message("!train", attachments=[dh.attachment("a.jsonl", qa_lines(3))])
        started = await dh.message("!train start", author=dh.admin)
        [job_id] = fake.jobs
        fake.set_job_status(job_id, "succeeded", fine_tuned_model="ft:gpt-4o-mini:o:botkit:d1")
        before = len(dh.fake.requests)
        await poll(dh)
        posted = [r for r in dh.fake.requests[before:] if r.method == "POST"]
    assert started.text.startswith(f"Fine-tuning job `{job_id}` started")
    [announcement] = posted
    assert announcement.path == f"/channels/{dh.channel}/messages"
    assert announcement.content == (
        f"Fine-tuning job `{job_id}` (dataset default) succeeded: model "
        "`ft:gpt-4o-mini:o:botkit:d1` is ready."
    )
