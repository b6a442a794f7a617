"""Slash commands generated from botkit Commands: definitions, syncing, invocation."""

from __future__ import annotations

import botkit
from botkit import Attachment, Context, Permission
from botkit.bot import Bot
from botkit.config import Config
from botkit_testkit.discord import FakeDiscord, sync_commands

STRING, INTEGER, BOOLEAN, NUMBER, ATTACHMENT = 3, 4, 5, 10, 11


class Tools:
    """Commands with every parameter type."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def roll(ctx: Context, sides: int, times: int = 1, *, label: str = "") -> str:
            """Roll dice."""
            self.calls.append({"sides": sides, "times": times, "label": label})
            return f"{times}d{sides} {label}".strip()

        async def scale(ctx: Context, factor: float, loud: bool = False) -> str:
            self.calls.append({"factor": factor, "loud": loud})
            return f"x{factor} loud={loud}"

        async def train_start(ctx: Context, name: str, file: Attachment | None = None) -> str:
            self.calls.append({"name": name, "file": file.filename if file else None})
            return f"training {name}"

        async def pair(ctx: Context, first: str | None = None, second: str | None = None) -> str:
            return f"{first} {second}"

        async def quiet(ctx: Context) -> None:
            return None

        return [
            botkit.command(roll, param_help={"sides": "how many sides"}),
            botkit.command(scale, permission=Permission.ADMIN),
            botkit.command(train_start, name="train start", permission=Permission.OWNER),
            botkit.command(pair),
            botkit.command(quiet),
        ]


def build_bot(tmp_path, plugin: object, **discord: object) -> Bot:
    raw = {"bot": {"data_dir": str(tmp_path / "data")}, "discord": discord}
    return Bot.build(Config.from_dict(raw), extra_plugins=[("tools", plugin)], entry_points=False)


async def test_sync_registers_typed_commands(tmp_path, capsys) -> None:
    with FakeDiscord() as fake:
        status = await sync_commands(build_bot(tmp_path, Tools()), fake.token)
    assert status == 0
    (put,) = [r for r in fake.requests if r.method == "PUT"]
    assert put.path == f"/applications/{fake.application_id}/commands"
    commands = {c["name"]: c for c in put.json}
    assert sorted(commands) == [
        "config",
        "forgetme",
        "getfile",
        "help",
        "hi",
        "instruction",
        "mydata",
        "pair",
        "plugin",
        "plugins",
        "quiet",
        "roll",
        "rules",
        "rules_add",
        "rules_check",
        "rules_cooldown",
        "rules_remove",
        "rules_silent",
        "scale",
        "tools",
        "tools_approval",
        "tools_disable",
        "tools_enable",
        "train_start",
        "web",
    ]
    options = {o["name"]: (o["type"], o["required"]) for o in commands["roll"]["options"]}
    assert options == {
        "sides": (INTEGER, True),
        "times": (INTEGER, False),
        "label": (STRING, False),
    }
    assert commands["roll"]["options"][0]["description"] == "how many sides"
    assert commands["roll"]["description"] == "Roll dice."
    assert [(o["name"], o["type"]) for o in commands["scale"]["options"]] == [
        ("factor", NUMBER),
        ("loud", BOOLEAN),
    ]
    assert [o["type"] for o in commands["train_start"]["options"]] == [STRING, ATTACHMENT]
    assert commands["scale"]["default_member_permissions"] == 32  # Manage Server
    assert commands["train_start"]["default_member_permissions"] == 8  # Administrator
    assert commands["hi"]["default_member_permissions"] is None
    assert capsys.readouterr().out.startswith("synced 25 slash command(s) globally")


async def test_sync_to_chosen_servers(tmp_path, capsys) -> None:
    with FakeDiscord() as fake:
        bot = build_bot(tmp_path, Tools(), sync_guild_ids=[str(fake.guild_id)])
        assert await sync_commands(bot, fake.token) == 0
    (put,) = [r for r in fake.requests if r.method == "PUT"]
    assert put.path == f"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"
    assert len(put.json) == 25


async def test_sync_failure_is_one_line(tmp_path, capsys) -> None:
    with FakeDiscord() as fake:
        fake.fail("PUT", r"/applications/\d+/commands", status=400, code=50035, message="bad")
        assert await sync_commands(build_bot(tmp_path, Tools()), fake.token) == 1
    err = capsys.readouterr().err
    assert err == "botkit: syncing slash commands failed: 400 bad\n"


async def test_no_sync_at_start_unless_configured(discord_harness) -> None:
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        assert not any(r.method == "PUT" for r in dh.fake.requests)
    config = {"discord": {"sync_commands": True}}
    async with discord_harness(plugins={"tools": Tools()}, config=config) as dh:
        assert [r.method for r in dh.fake.requests].count("PUT") == 1


async def test_typed_options_become_the_prefix_command(discord_harness) -> None:
    tools = Tools()
    async with discord_harness(plugins={"tools": tools}) as dh:
        rolled = await dh.slash("roll", sides=6, times=3, label="for damage", author=dh.member)
        scaled = await dh.slash("scale", factor=1.5, loud=True, author=dh.admin)
    assert rolled.text == "3d6 for damage"
    assert scaled.text == "x1.5 loud=True"
    assert tools.calls == [
        {"sides": 6, "times": 3, "label": "for damage"},
        {"factor": 1.5, "loud": True},
    ]


async def test_subcommand_with_quoted_words_and_an_attachment(discord_harness) -> None:
    tools = Tools()
    async with discord_harness(plugins={"tools": tools}) as dh:
        data = dh.attachment("data.jsonl", b"{}\n")
        sent = await dh.slash("train_start", name="my model", file=data, author=dh.owner)
    assert sent.text == "training my model"
    assert tools.calls == [{"name": "my model", "file": "data.jsonl"}]


async def test_permission_checked_again_on_invocation(discord_harness) -> None:
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        scaled = await dh.slash("scale", factor=2.0, author=dh.member)
        trained = await dh.slash("train_start", name="x", author=dh.admin)
    assert scaled.text == "Only server admins (Manage Server) can use this command."
    assert trained.text == "Only the bot's owner can use this command."


async def test_skipped_optional_option_takes_its_default(discord_harness) -> None:
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        both = await dh.slash("pair", first="a", second="b", author=dh.member)
        second_only = await dh.slash("pair", second="b", author=dh.member)
    assert both.text == "a b"
    assert second_only.text == "None b"


async def test_option_with_both_quotes_and_spaces_arrives_as_typed(discord_harness) -> None:
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        sent = await dh.slash("pair", first='it\'s "odd"', author=dh.member)
    assert sent.text == 'it\'s "odd" None'


async def test_no_answer_removes_the_thinking_message(discord_harness) -> None:
    async with discord_harness(plugins={"tools": Tools()}) as dh:
        sent = await dh.slash("quiet", author=dh.member)
    assert sent == []
    assert sent.routes[-1].startswith(f"DELETE /webhooks/{dh.fake.application_id}/")
    assert sent.routes[-1].endswith("/messages/@original")


async def test_slash_command_in_a_dm(discord_harness) -> None:
    async with discord_harness() as dh:
        sent = await dh.slash("hi", author=dh.member, channel=dh.fake.dm_channel(dh.member))
    assert sent.text == "HI!"
