"""The host's own commands: !hi, !help, !instruction, !plugins, !plugin, !getfile."""

from __future__ import annotations

import pytest

import botkit
from botkit import Context

REFUSAL = "Only files inside the bot's files directory can be sent."


async def wave(ctx: Context) -> str:
    """Wave hello."""
    return "*waves*"


async def train_start(ctx: Context, name: str) -> str:
    """Start a training job."""
    return f"starting {name}"


class Extra:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [
            botkit.command(wave, aliases=["hello"]),
            botkit.command(train_start, name="train start", param_help={"name": "a job name"}),
        ]


async def test_hi(botkit_harness) -> None:
    async with botkit_harness() as bot:
        assert (await bot.send("!hi")).text == "HI!"


async def test_help_groups_commands_by_plugin(botkit_harness) -> None:
    async with botkit_harness(plugins={"extra": Extra()}) as bot:
        text = (await bot.send("!help")).text
    assert "**builtin**\n`!config` Show a plugin's settings" in text
    assert "`!getfile` Send a file from the bot's files directory.\n" in text
    assert "**extra**\n`!train start` Start a training job.\n`!wave` Wave hello.\n" in text
    assert text.endswith("Type `!help <command>` for details.")


async def test_help_for_a_command_shows_its_usage(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!help getfile")
    assert replies.text == (
        "`!getfile <path>`\nSend a file from the bot's files directory.\n"
        "- path: inside files_dir\nOnly for: owner"
    )


async def test_help_for_a_command_lists_its_aliases(botkit_harness) -> None:
    async with botkit_harness(plugins={"extra": Extra()}) as bot:
        replies = await bot.send("!help !wave")
    assert replies.text == "`!wave`\nWave hello.\nAlso: !hello"


async def test_help_for_a_two_word_command(botkit_harness) -> None:
    async with botkit_harness(plugins={"extra": Extra()}) as bot:
        replies = await bot.send("!help train start")
    assert replies.text == "`!train start <name>`\nStart a training job.\n- name: a job name"


async def test_help_for_an_unknown_command_suggests_one(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!help hii")
    assert replies.text == "No command !hii. Did you mean !hi?"


async def test_generated_instruction_lists_the_commands(botkit_harness) -> None:
    async with botkit_harness(plugins={"extra": Extra()}) as bot:
        text = (await bot.send("!instruction")).text
    assert text.startswith(
        "# How to use this bot\n"
        "Commands start with `!`. Plain messages are answered on: dm, mention, reply, thread.\n"
    )
    assert "\n- `!wave`: Wave hello." in text


async def test_instruction_from_a_configured_file(botkit_harness, tmp_path) -> None:
    path = tmp_path / "instructions.md"
    path.write_text("# Rules\nBe kind to the bot.\n", encoding="utf-8")
    async with botkit_harness(config={"bot": {"instruction_file": str(path)}}) as bot:
        assert (await bot.send("!instruction")).text == "# Rules\nBe kind to the bot.\n"


async def test_missing_instruction_file_gets_a_clear_reply(botkit_harness, tmp_path) -> None:
    config = {"bot": {"instruction_file": str(tmp_path / "gone.md")}}
    async with botkit_harness(config=config) as bot:
        replies = await bot.send("!instruction")
    assert replies.text == "The instructions file cannot be read; tell the bot's owner."


async def test_plugins_is_refused_to_a_member(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!plugins", user=bot.member)
    assert replies.text == "Only server admins (Manage Server) can use this command."


async def test_plugins_lists_states_for_an_admin(botkit_harness) -> None:
    async with botkit_harness(plugins={"extra": Extra()}) as bot:
        replies = await bot.send("!plugins", user=bot.admin)
    assert replies.text == "`builtin` 0.2.0 ok\n`permissions` 0.2.0 ok\n`extra`  ok"


async def test_plugins_shows_a_plugin_disabled_here(botkit_harness) -> None:
    async with botkit_harness(plugins={"extra": Extra()}) as bot:
        await bot.send("!plugin disable extra")
        replies = await bot.send("!plugins")
    assert replies.text == "`builtin` 0.2.0 ok\n`permissions` 0.2.0 ok\n`extra`  disabled here"


async def test_plugin_switch_is_refused_in_a_dm(botkit_harness) -> None:
    async with botkit_harness(plugins={"extra": Extra()}) as bot:
        replies = await bot.dm("!plugin disable extra")
    assert replies.text == "Plugins can be switched per server only, not in direct messages."


async def test_builtin_plugin_cannot_be_disabled(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!plugin disable builtin")
    assert replies.text == "The builtin plugin is part of the host and cannot be disabled."


async def test_switching_an_unknown_plugin_is_explained(botkit_harness) -> None:
    async with botkit_harness() as bot:
        replies = await bot.send("!plugin disable nothing")
    assert replies.text == "No loaded plugin 'nothing'. See !plugins."


# --- !getfile ---


@pytest.fixture
async def bot(botkit_harness):
    """A started bot whose files_dir holds report.txt and sub/notes.md, a secret beside it."""
    async with botkit_harness() as bot:
        files_dir = bot.bot.config.files_dir
        (files_dir / "report.txt").write_bytes(b"quarterly numbers")
        (files_dir / "sub").mkdir()
        (files_dir / "sub" / "notes.md").write_bytes(b"# notes")
        (bot.data_dir / "secret.txt").write_text("do not send", encoding="utf-8")
        yield bot


async def test_getfile_sends_a_file_to_the_owner(bot) -> None:
    replies = await bot.send("!getfile report.txt")
    assert replies.text == "Here is the file you requested:"
    assert [(f.filename, f.read_bytes()) for f in replies.files] == [
        ("report.txt", b"quarterly numbers")
    ]


async def test_getfile_sends_a_file_in_a_subdirectory(bot) -> None:
    replies = await bot.send("!getfile sub/notes.md")
    assert [f.read_bytes() for f in replies.files] == [b"# notes"]


async def test_owner_ids_make_a_member_the_owner(botkit_harness) -> None:
    async with botkit_harness(config={"bot": {"owner_ids": ["3"]}}) as bot:
        (bot.bot.config.files_dir / "a.txt").write_bytes(b"a")
        replies = await bot.send("!getfile a.txt", user=bot.member)
    assert [f.filename for f in replies.files] == ["a.txt"]


@pytest.mark.parametrize("who", ["admin", "member"])
async def test_getfile_is_refused_to_everyone_but_the_owner(bot, who) -> None:
    replies = await bot.send("!getfile report.txt", user=getattr(bot, who))
    assert replies.text == "Only the bot's owner can use this command."
    assert replies.files == []


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "/etc/passwd", "../secret.txt", "sub/../../secret.txt"]
)
async def test_getfile_refuses_paths_outside_files_dir(bot, path) -> None:
    replies = await bot.send(f"!getfile {path}")
    assert (replies.text, replies.files) == (REFUSAL, [])


async def test_getfile_refuses_a_symlink_leading_outside(bot) -> None:
    (bot.bot.config.files_dir / "link.txt").symlink_to(bot.data_dir / "secret.txt")
    replies = await bot.send("!getfile link.txt")
    assert (replies.text, replies.files) == (REFUSAL, [])


async def test_getfile_refusal_does_not_tell_whether_the_outside_file_exists(bot) -> None:
    files_dir = bot.bot.config.files_dir
    (files_dir / "to-secret").symlink_to(bot.data_dir / "secret.txt")
    (files_dir / "to-nothing").symlink_to(bot.data_dir / "nothing.txt")
    replies = [
        (await bot.send(f"!getfile {path}")).text
        for path in ("../secret.txt", "../nothing.txt", "to-secret", "to-nothing")
    ]
    assert replies == [REFUSAL] * 4


async def test_getfile_missing_inside_file_says_no_file(bot) -> None:
    replies = await bot.send("!getfile nothing.txt")
    assert replies.text == "No file 'nothing.txt' in the files directory."
