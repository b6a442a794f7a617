"""Forgetting a user: their examples, passages and uploads go; other data stays."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from botkit_trainer.tables import examples, metadata, passages
from conftest import Chat, Corrections, both_backends, qa_lines
from sqlalchemy import func, select

pytestmark = both_backends


async def test_delete_user_data(start: Any) -> None:
    async with start() as bot:
        await bot.send(
            "!train The member's note about lockers.",
            user=bot.member,
            attachments=[bot.attachment("mine.jsonl", qa_lines(2))],
        )
        await bot.send("!train Owner's document.")
        [(plugin, lines)] = await bot.call_all("botkit_delete_user_data", user_id=bot.member.id)
        async with bot.bot.storage.session() as session:
            left = (await session.execute(select(examples.c.content))).scalars().all()
            passage_count = (
                await session.execute(select(func.count()).select_from(passages))
            ).scalar()
        folder = bot.data_dir / "datasets" / "500" / "default"
        assert list(folder.iterdir()) == []
    assert (plugin, lines[:2]) == (
        "trainer",
        ["3 training example(s) and document(s)", "1 uploaded file(s)"],
    )
    assert left == ["Owner's document."]
    assert passage_count == 1


async def test_forgetting_a_user_removes_the_corrections_copied_from_them(start: Any) -> None:
    def correction(user_id: str, answer: str) -> dict[str, Any]:
        question = {"role": "user", "content": f"What did {user_id} say?"}
        return {
            "kind": "sft",
            "user_id": user_id,
            "messages": [question, {"role": "assistant", "content": answer}],
        }

    async def stored(bot: Any) -> str:
        async with bot.bot.storage.session() as session:
            return " ".join((await session.execute(select(examples.c.content))).scalars())

    offered = Corrections([correction("3", "The member's answer."), correction("1", "Mine.")])
    async with start({"feedback": offered}) as bot:
        await bot.send("!train start")  # copies the offered corrections into the dataset
        before = await stored(bot)
        await bot.call_all("botkit_delete_user_data", user_id=bot.member.id)
        after = await stored(bot)
    assert "The member's answer." in before and "Mine." in before
    assert "The member's answer." not in after
    assert "Mine." in after


SECRET = "Zanzibar"


def texts_in_files(root: Any) -> list[str]:
    """Every file under ``root`` (and every member of its zips) that mentions the secret."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if SECRET.encode() in data:
            found.append(str(path))
        if path.suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                found += [
                    f"{path}:{name}"
                    for name in archive.namelist()
                    if SECRET.encode() in archive.read(name)
                ]
    return found


async def texts_in_tables(bot: Any) -> list[str]:
    found = []
    async with bot.bot.storage.session() as session:
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                found += [f"{table.name}: {v}" for v in row if SECRET in str(v)]
    return found


async def test_forgetme_removes_everything_derived_from_the_user(
    start: Any, fake: Any, tmp_path: Any
) -> None:
    member_file = b'{"prompt": "Zanzibar keeper?", "completion": "Old Tom."}\n'
    async with start({"chat": Chat({})}) as bot:
        await bot.send("!train Where is the Zanzibar light? => Behind the dunes.", user=bot.member)
        await bot.send("!train The Zanzibar light is kept in the attic.", user=bot.member)
        await bot.send(
            "!train", user=bot.member, attachments=[bot.attachment("zan.jsonl", member_file)]
        )
        await bot.send('!test [{"input": "Zanzibar tide?", "expected": "Low"}]', user=bot.member)
        await bot.send("!train", attachments=[bot.attachment("own.jsonl", qa_lines(3, "own"))])
        await bot.send("!train start default sft")
        await bot.send("!dataset other")
        await bot.send(
            "!train", user=bot.member, attachments=[bot.attachment("only.jsonl", member_file)]
        )
        await bot.send("!archive datasets")
        await bot.send("!archive datasets/500/other")
        before = texts_in_files(bot.data_dir)
        mydata = await bot.send("!mydata", user=bot.member)
        await bot.send("!forgetme", user=bot.member)
        done = await bot.send("!forgetme confirm", user=bot.member)
        files_after = texts_in_files(bot.data_dir)
        tables_after = await texts_in_tables(bot)
        [job_id] = fake.jobs
        kept = await bot.send("!datasets")
    assert any(p.endswith(".zip:500/default/zan.jsonl") for p in before)
    assert "- trainer: 5 training examples, 1 documents, 2 uploaded files" in mydata.text
    lines = done.text.splitlines()
    assert "- trainer: " in done.text
    report = done.text.split("- trainer: ", 1)[1].split("\n", 1)[0].split("; ")
    assert report[0] == "6 training example(s) and document(s)"
    assert "2 uploaded file(s)" in report
    assert "built training files in datasets/500/default/build" in report
    assert any(
        r.startswith("archive archives/datasets-") and r.endswith("rebuilt without your files")
        for r in report
    )
    assert any(
        r.startswith("archive archives/other-") and r.endswith("deleted (it held only your files)")
        for r in report
    )
    assert f"the training file of job {job_id} on openai deleted" in report
    assert files_after == [] and tables_after == []
    assert fake.files == {}
    assert "**default**: 3 positive" in kept.text
    assert lines[0] == "Done: I deleted everything I stored about you."
