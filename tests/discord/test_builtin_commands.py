"""Every built-in command through the prefix and the slash path, as Discord users see them."""

from __future__ import annotations

import pytest

import botkit
from botkit_testkit.discord import DiscordHarness, FakeDiscord, Replies

HELP_LINE = "`!hi` Say hello."


async def run(dh: DiscordHarness, path: str, command: str, **kwargs) -> Replies:
    """``command`` is the prefix text; the slash path gets the same as options."""
    if path == "prefix":
        return await dh.message(command, **kwargs)
    name, *words = command.removeprefix("!").split()
    options = {"help": ["command"], "plugin": ["action", "name"], "getfile": ["path"]}.get(name, [])
    return await dh.slash(name, **dict(zip(options, words, strict=False)), **kwargs)


@pytest.fixture(params=["prefix", "slash"])
def path(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_hi(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!hi", author=dh.member)
    assert sent.text == "HI!"


async def test_prefix_reply_answers_the_message_without_pinging(discord_harness) -> None:
    async with discord_harness() as dh:
        sent = await dh.message("!hi", author=dh.member)
    body = sent[0].json
    assert sent[0].route == f"POST /channels/{dh.channel}/messages"
    assert body["message_reference"]["message_id"] == dh.last_message_id
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_slash_defers_then_answers_with_a_followup(discord_harness) -> None:
    async with discord_harness() as dh:
        sent = await dh.slash("hi", author=dh.member)
    callback, followup = sent.requests
    assert callback.route.endswith("/callback") and callback.json["type"] == 5
    assert followup is sent[0] and followup.route.startswith("POST /webhooks/")
    assert followup.json["allowed_mentions"]["parse"] == []


async def test_help_lists_the_commands_the_caller_may_run(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!help", author=dh.member)
    assert HELP_LINE in sent.text
    assert "`!hi`" in sent.text
    assert "`!getfile`" not in sent.text  # the owner's only


async def test_help_explains_one_command(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!help getfile", author=dh.member)
    assert sent.text.startswith("`!getfile <path>`")
    assert "Only for: owner" in sent.text


async def test_instruction(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!instruction", author=dh.member)
    assert sent.text.startswith("# How to use this bot")
    assert "- `!plugin <action> <name>`" in sent.text


async def test_plugins_for_an_admin(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!plugins", author=dh.admin)
    assert sent.text.startswith("`builtin` 0.2.0 ok")


async def test_plugins_refused_for_a_member(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!plugins", author=dh.member)
    assert sent.text == "Only server admins (Manage Server) can use this command."


class Echo:
    @botkit.hookimpl
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        return f"echo: {text}"


async def test_plugin_disable_and_enable(discord_harness, path: str) -> None:
    async with discord_harness(plugins={"echo": Echo()}) as dh:
        disabled = await run(dh, path, "!plugin disable echo", author=dh.admin)
        silent = await dh.message("hello", mention=True, author=dh.member)
        enabled = await run(dh, path, "!plugin enable echo", author=dh.owner)
        answered = await dh.message("hello", mention=True, author=dh.member)
    assert disabled.text == "Plugin echo disabled in this server."
    assert silent.text == ""
    assert enabled.text == "Plugin echo enabled in this server."
    assert answered.text == "echo: hello"


async def test_plugin_refused_for_a_member(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!plugin disable builtin", author=dh.member)
    assert sent.text == "Only server admins (Manage Server) can use this command."


async def test_getfile_sends_the_file_to_the_application_owner(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        dh.bot.config.files_dir.mkdir(parents=True, exist_ok=True)
        (dh.bot.config.files_dir / "notes.txt").write_bytes(b"remember the milk")
        sent = await run(dh, path, "!getfile notes.txt", author=dh.owner)
    assert sent.text == "Here is the file you requested:"
    assert [(f.filename, f.data) for f in sent.files] == [("notes.txt", b"remember the milk")]
    assert sent[0].json["attachments"] == [{"id": 0, "filename": "notes.txt"}]


async def test_getfile_refused_for_an_admin(discord_harness, path: str) -> None:
    async with discord_harness() as dh:
        sent = await run(dh, path, "!getfile notes.txt", author=dh.admin)
    assert sent.text == "Only the bot's owner can use this command."
    assert sent.files == []


async def test_configured_owner_ids_count_as_owners(discord_harness) -> None:
    fake = FakeDiscord()
    async with discord_harness(
        config={"bot": {"owner_ids": [str(fake.member.id)]}}, fake=fake
    ) as dh:
        sent = await dh.message("!getfile missing.txt", author=dh.member)
    assert sent.text == "No file 'missing.txt' in the files directory."
