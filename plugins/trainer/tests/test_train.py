"""!train: inline text, attachments, directories, and every bad input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from botkit_trainer.tables import examples, passages
from conftest import both_backends, qa_lines
from sqlalchemy import select


async def stored(bot: Any) -> list[dict[str, Any]]:
    async with bot.bot.storage.session() as session:
        rows = (await session.execute(select(examples).order_by(examples.c.id))).mappings()
        return [dict(row) for row in rows]


def zipped(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@both_backends
async def test_inline_qa_is_stored_positive(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train What is botkit? => A bot framework.")
        assert replies.text == (
            "Dataset **default**: added 1 positive and 0 negative Q&A examples."
        )
        [row] = await stored(bot)
    assert (row["label"], row["kind"], row["source"]) == ("positive", "qa", "inline")
    assert json.loads(row["content"])["messages"][1]["content"] == "A bot framework."
    assert row["author_id"] == bot.owner.id


async def test_negative_flag(start: Any) -> None:
    async with start() as bot:
        await bot.send("!train negative 2+2? => 5", user=bot.member)
        [row] = await stored(bot)
    assert row["label"] == "negative"


@both_backends
async def test_same_example_twice_is_kept_once(start: Any) -> None:
    async with start() as bot:
        await bot.send("!train a? => b")
        replies = await bot.send("!train a? => b")
        assert "added nothing. 1 already in the dataset." in replies.text
        assert len(await stored(bot)) == 1


async def test_inline_prose_becomes_a_document_with_passages(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train The office opens at nine.")
        assert "1 document(s) (1 passages)" in replies.text
        async with bot.bot.storage.session() as session:
            texts = (await session.execute(select(passages.c.text))).scalars().all()
    assert texts == ["The office opens at nine."]


async def test_negative_prose_is_refused_with_a_reason(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train negative The office opens at nine.")
        assert "prose is always positive" in replies.text
        assert await stored(bot) == []


async def test_nothing_to_learn_explains_usage(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train")
    assert replies.text.startswith("Give text or attach files.")


@both_backends
async def test_attachments_are_saved_sanitised_and_unique(start: Any) -> None:
    async with start() as bot:
        files = [
            bot.attachment("../../etc/faq.jsonl", qa_lines(2)),
            bot.attachment("faq.jsonl", qa_lines(1, "other")),
            bot.attachment("guide.md", b"# Guide\n\nThe office opens at nine."),
        ]
        replies = await bot.send("!train", attachments=files)
        assert "3 positive and 0 negative Q&A examples and 1 document(s)" in replies.text
        folder = bot.data_dir / "datasets" / "500" / "default"
        assert sorted(p.name for p in folder.iterdir()) == ["faq-1.jsonl", "faq.jsonl", "guide.md"]
        rows = await stored(bot)
    assert {r["name"] for r in rows} == {
        "datasets/500/default/faq.jsonl",
        "datasets/500/default/faq-1.jsonl",
        "datasets/500/default/guide.md",
    }
    assert {r["source"] for r in rows} == {"file"}


async def test_bad_rows_are_listed_and_good_ones_kept(start: Any) -> None:
    async with start() as bot:
        data = b'{"prompt": "p", "completion": "c"}\n{oops\n'
        replies = await bot.send("!train", attachments=[bot.attachment("a.jsonl", data)])
        assert "added 1 positive" in replies.text
        assert "Not used:\n- a.jsonl line 2: not valid JSON" in replies.text


async def test_bad_extension_is_refused_and_nothing_stored(start: Any) -> None:
    async with start() as bot:
        files = [bot.attachment("ok.txt", b"fine"), bot.attachment("tool.exe", b"MZ")]
        replies = await bot.send("!train", attachments=files)
        assert replies.text == (
            "tool.exe: I can learn from .txt, .md, .jsonl, .csv, .zip files only. "
            "Nothing was stored."
        )
        assert await stored(bot) == []
        assert not (bot.data_dir / "datasets").exists()


async def test_oversize_attachment_is_refused(start: Any) -> None:
    async with start(max_upload_mb=0.001) as bot:
        replies = await bot.send("!train", attachments=[bot.attachment("big.txt", b"x" * 2000)])
    assert replies.text == "big.txt is 2 KB; the limit is 1 KB. Nothing was stored."


async def test_zip_members_are_learnt(start: Any) -> None:
    async with start() as bot:
        data = zipped({"docs/a.md": b"Alpha text.", "b.jsonl": qa_lines(2), "c.png": b"img"})
        replies = await bot.send("!train", attachments=[bot.attachment("pack.zip", data)])
        assert "2 positive and 0 negative Q&A examples and 1 document(s)" in replies.text
        assert "pack.zip: 1 file(s) of other types were skipped" in replies.text
        folder = bot.data_dir / "datasets" / "500" / "default"
        assert sorted(p.name for p in folder.iterdir()) == ["a.md", "b.jsonl"]


async def test_zip_bomb_is_refused(start: Any) -> None:
    async with start() as bot:
        data = zipped({"bomb.txt": b"0" * 5_000_000})
        replies = await bot.send("!train", attachments=[bot.attachment("bomb.zip", data)])
        assert replies.text == (
            "bomb.txt is compressed more than 100 times (a possible zip bomb); refused. "
            "Nothing was stored."
        )
        assert await stored(bot) == []


async def test_zip_over_the_uncompressed_cap_is_refused(start: Any) -> None:
    async with start(max_archive_mb=0.01) as bot:
        data = zipped({"a.txt": b"a" * 8000, "b.txt": b"b" * 8000}, zipfile.ZIP_STORED)
        replies = await bot.send("!train", attachments=[bot.attachment("two.zip", data)])
    assert replies.text.startswith("The zip unpacks to 16 KB; the limit is 10 KB.")


async def test_zip_with_too_many_files_is_refused(start: Any) -> None:
    async with start(max_files=2) as bot:
        data = zipped({f"{i}.txt": b"x" for i in range(3)})
        replies = await bot.send("!train", attachments=[bot.attachment("many.zip", data)])
    assert replies.text.startswith("The zip holds 3 files; the limit is 2.")


async def test_zip_slip_names_are_refused(start: Any) -> None:
    async with start() as bot:
        data = zipped({"../../evil.txt": b"x"})
        replies = await bot.send("!train", attachments=[bot.attachment("slip.zip", data)])
        assert replies.text.startswith("The zip has an unsafe file name ('../../evil.txt')")
        assert not (bot.data_dir.parent / "evil.txt").exists()


async def test_damaged_zip_is_refused(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train", attachments=[bot.attachment("bad.zip", b"PK nope")])
    assert replies.text.startswith("That .zip file is damaged or not a zip archive. Make the zip")


def make_dir(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@both_backends
async def test_train_dir_reads_a_directory_inside_the_data_dir(start: Any) -> None:
    async with start() as bot:
        make_dir(
            bot.data_dir / "uploads" / "faq",
            {"a.jsonl": qa_lines(2), "sub/b.txt": b"Prose here.", "c.bin": b"?"},
        )
        replies = await bot.send("!train dir uploads/faq negative")
        assert "0 positive and 2 negative Q&A examples" in replies.text
        assert "b.txt: prose is always positive" in replies.text
        assert "1 file(s) of other types or outside the data directory skipped" in replies.text
        rows = await stored(bot)
    assert {(r["source"], r["name"]) for r in rows} == {("directory", "uploads/faq/a.jsonl")}


async def test_train_dir_refuses_parent_paths(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train dir ../")
    assert replies.text.startswith("the path leads outside the directory. Give a directory")


async def test_train_dir_refuses_absolute_paths(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train dir /etc")
    assert replies.text.startswith("absolute paths are not allowed")


async def test_train_dir_refuses_a_symlink_out(start: Any, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    make_dir(outside, {"keys.txt": b"secret"})
    async with start() as bot:
        (bot.data_dir / "link").symlink_to(outside)
        replies = await bot.send("!train dir link")
        assert replies.text.startswith("the path leads outside the directory")
        assert await stored(bot) == []


async def test_train_dir_skips_symlinked_files_leading_out(start: Any, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"secret")
    async with start() as bot:
        make_dir(bot.data_dir / "docs", {"ok.txt": b"Fine prose."})
        (bot.data_dir / "docs" / "leak.txt").symlink_to(outside)
        replies = await bot.send("!train dir docs")
        assert "1 document(s)" in replies.text
        assert [r["content"] for r in await stored(bot)] == ["Fine prose."]


async def test_train_dir_missing_directory(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train dir nowhere")
    assert replies.text == "There is no directory 'nowhere' in the bot's data directory."


async def test_train_dir_is_for_the_owner(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!train dir uploads", user=bot.admin)
    assert replies.text == "Only the bot's owner can use this command."


@both_backends
async def test_dataset_choice_directs_train(start: Any) -> None:
    async with start() as bot:
        assert (
            await bot.send("!dataset support")
        ).text == "!train now adds to dataset **support**."
        await bot.send("!train a? => b")
        await bot.send("!dataset bad/name")
        listing = await bot.send("!datasets")
    assert listing.text == "**support** (current): 1 positive, 0 negative Q&A, 0 document(s)"


async def test_members_cannot_choose_the_dataset(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!dataset support", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can choose the dataset."


async def test_train_dir_skips_files_over_the_upload_cap(start: Any) -> None:
    async with start(max_upload_mb=0.001) as bot:
        make_dir(bot.data_dir / "docs", {"small.txt": b"Tiny note.", "big.txt": b"x" * 3000})
        replies = await bot.send("!train dir docs")
    assert "added 1 document(s) (1 passages)" in replies.text
    assert "- docs/big.txt: 3 KB, over the 1 KB limit; skipped" in replies.text


async def test_train_dir_refuses_too_much_in_total(start: Any) -> None:
    async with start(max_archive_mb=0.001) as bot:
        make_dir(bot.data_dir / "docs", {"a.txt": b"a" * 800, "b.txt": b"b" * 800})
        replies = await bot.send("!train dir docs")
    assert replies.text == (
        "docs holds 2 KB of files to learn from; the limit is 1 KB. "
        "Split it into smaller directories."
    )


async def test_train_dir_refuses_too_many_files(start: Any) -> None:
    async with start(max_files=2) as bot:
        make_dir(bot.data_dir / "docs", {f"{i}.txt": b"x" for i in range(3)})
        replies = await bot.send("!train dir docs")
    assert replies.text == "docs has more than 2 usable files; split it into smaller directories."
