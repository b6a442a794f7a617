"""!archive and !select_dataset: zips made inside the data directory, paths kept inside it."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from conftest import qa_lines


def make_dir(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def names(data: bytes) -> list[str]:
    return sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())


async def test_archive_zips_a_directory_and_attaches_it(start: Any) -> None:
    async with start() as bot:
        make_dir(bot.data_dir / "notes", {"a.txt": b"alpha", "deep/b.md": b"beta"})
        replies = await bot.send("!archive notes")
        [file] = replies.files
        found = re.search(r"into `(archives/notes-\d{8}-\d{6}\.zip)` \(1 KB\)", replies.text)
        assert found, replies.text
        assert (bot.data_dir / found.group(1)).is_file()
    assert replies.text.startswith("Done: notes.\nArchived 2 file(s) into `archives/notes-")
    assert names(file.read_bytes()) == ["a.txt", "deep/b.md"]


async def test_large_archives_are_not_attached(start: Any) -> None:
    async with start(attach_max_mb=0.0001) as bot:
        make_dir(bot.data_dir / "notes", {"a.txt": b"alpha" * 100})
        replies = await bot.send("!archive notes")
    assert replies.files == []
    assert replies.text.endswith("It is too large to attach; the bot's owner can fetch it.")


async def test_archiving_everything_leaves_out_earlier_archives(start: Any) -> None:
    async with start() as bot:
        make_dir(bot.data_dir / "notes", {"a.txt": b"alpha"})
        await bot.send("!archive notes")
        replies = await bot.send("!archive .")
        [file] = replies.files
    listed = names(file.read_bytes())
    assert "notes/a.txt" in listed
    assert not any(name.startswith("archives/") for name in listed)


async def test_archive_size_cap(start: Any) -> None:
    async with start(max_archive_mb=0.001) as bot:
        make_dir(bot.data_dir / "notes", {"a.txt": b"x" * 5000})
        replies = await bot.send("!archive notes")
        assert not (bot.data_dir / "archives").exists() or not any(
            (bot.data_dir / "archives").iterdir()
        )
    assert replies.text == "notes holds 5 KB; archives are limited to 1 KB."


async def test_archive_refuses_paths_outside(start: Any, tmp_path: Path) -> None:
    async with start() as bot:
        (bot.data_dir / "out").symlink_to(tmp_path)
        parent = await bot.send("!archive ..")
        absolute = await bot.send(f"!archive {tmp_path}")
        link = await bot.send("!archive out")
    assert parent.text.startswith("the path leads outside the directory.")
    assert absolute.text.startswith("absolute paths are not allowed")
    assert link.text.startswith("the path leads outside the directory.")


async def test_archive_skips_files_linked_from_outside(start: Any, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_bytes(b"secret")
    async with start() as bot:
        make_dir(bot.data_dir / "notes", {"a.txt": b"alpha"})
        (bot.data_dir / "notes" / "leak.txt").symlink_to(tmp_path / "secret.txt")
        replies = await bot.send("!archive notes")
    assert names(replies.files[0].read_bytes()) == ["a.txt"]


async def test_archive_of_an_empty_directory(start: Any) -> None:
    async with start() as bot:
        (bot.data_dir / "empty").mkdir()
        replies = await bot.send("!archive empty")
    assert replies.text == "empty has no files to archive."


async def test_archive_is_for_the_owner(start: Any) -> None:
    async with start() as bot:
        replies = await bot.send("!archive notes", user=bot.admin)
    assert replies.text == "Only the bot's owner can use this command."


async def test_select_dataset_learns_chooses_and_archives(start: Any) -> None:
    async with start() as bot:
        make_dir(bot.data_dir / "incoming" / "support faq", {"a.jsonl": qa_lines(2)})
        replies = await bot.send('!select_dataset "incoming/support faq"')
        listing = await bot.send("!datasets")
        await bot.send("!train extra? => yes")
        after = await bot.send("!datasets")
    assert replies.text.startswith(
        "Dataset **support_faq**: added 2 positive and 0 negative Q&A examples.\n"
        "!train now adds to dataset **support_faq**.\n"
        "Archived 1 file(s) into `archives/support_faq-"
    )
    assert names(replies.files[0].read_bytes()) == ["a.jsonl"]
    assert listing.text == "**support_faq** (current): 2 positive, 0 negative Q&A, 0 document(s)"
    assert after.text == "**support_faq** (current): 3 positive, 0 negative Q&A, 0 document(s)"


async def test_select_dataset_negative(start: Any) -> None:
    async with start() as bot:
        make_dir(bot.data_dir / "bad", {"a.jsonl": qa_lines(1)})
        replies = await bot.send("!select_dataset bad negative")
    assert replies.text.startswith("Dataset **bad**: added 0 positive and 1 negative")


async def test_select_dataset_refuses_the_whole_data_dir_and_paths_out(start: Any) -> None:
    async with start() as bot:
        whole = await bot.send("!select_dataset .")
        out = await bot.send("!select_dataset ../..")
        empty = await bot.send("!select_dataset archives")
    assert whole.text == "Pick a directory inside the data directory, not all of it."
    assert out.text.startswith("the path leads outside the directory.")
    assert empty.text == "There is no directory 'archives' in the bot's data directory."


async def test_select_dataset_with_no_usable_files(start: Any) -> None:
    async with start() as bot:
        make_dir(bot.data_dir / "pics", {"a.png": b"png"})
        replies = await bot.send("!select_dataset pics")
    assert replies.text == "pics has no .txt, .md, .jsonl, .csv files to learn from."
