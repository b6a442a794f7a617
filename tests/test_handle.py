"""The scoped handle and context a plugin gets: hooks of others, ctx.answer, state, paths."""

from __future__ import annotations

import pytest

import botkit
import botkit.util
from botkit import Context, PluginHandle, Reply


class Caller:
    """Asks the other plugins for models and for an answer."""

    def __init__(self) -> None:
        self.handles: list[PluginHandle] = []

    @botkit.hookimpl
    def botkit_startup(self, plugin: PluginHandle) -> None:
        self.handles.append(plugin)
        plugin.state = {"started": True}

    @botkit.hookimpl
    def botkit_models(self, plugin: PluginHandle, guild_id: str | None) -> list[str]:
        return ["caller-model"]

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def models(ctx: Context) -> str:
            found = await ctx.plugin.call_all("botkit_models", ctx=ctx)
            return ", ".join(name for _, names in found for name in names) or "none"

        async def ask(ctx: Context, *, text: str) -> str:
            reply = await ctx.answer(text)
            return reply.text if reply else "no answer"

        async def where(ctx: Context, *, path: str) -> str:
            try:
                return str(ctx.plugin.resolve(path).relative_to(ctx.plugin.data_dir))
            except botkit.util.UnsafePath as exc:
                return f"refused: {exc}"

        return [botkit.command(models), botkit.command(ask), botkit.command(where)]


class Chat:
    def __init__(self) -> None:
        self.seen: list[botkit.Message] = []

    @botkit.hookimpl
    def botkit_models(self, plugin: PluginHandle, guild_id: str | None) -> list[str]:
        return [f"{plugin.name}-model"]

    @botkit.hookimpl
    def botkit_knowledge(self, ctx: Context, text: str) -> list[str]:
        return ["a snippet"]

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        self.seen.append(ctx.message)
        return f"{text} ({', '.join(snippets)})"


async def test_call_all_reaches_other_plugins_not_the_caller(botkit_harness) -> None:
    async with botkit_harness(plugins={"caller": Caller(), "chat": Chat()}) as bot:
        assert (await bot.send("!models")).text == "chat-model"


async def test_call_all_leaves_out_plugins_switched_off_in_the_server(botkit_harness) -> None:
    async with botkit_harness(plugins={"caller": Caller(), "chat": Chat()}) as bot:
        await bot.send("!plugin disable chat")
        assert (await bot.send("!models")).text == "none"


async def test_answer_runs_the_pipeline_in_a_conversation_of_its_own(botkit_harness) -> None:
    chat = Chat()
    async with botkit_harness(plugins={"caller": Caller(), "chat": chat}) as bot:
        sent = await bot.send("!ask what is botkit?")
    assert sent.text == "what is botkit? (a snippet)"
    (seen,) = chat.seen
    assert seen.ephemeral
    assert seen.channel.id != bot.channel.id


async def test_bot_level_hooks_get_the_plugins_own_handle(botkit_harness) -> None:
    caller = Caller()
    async with botkit_harness(plugins={"caller": caller}):
        (handle,) = caller.handles
        assert (handle.name, handle.state) == ("caller", {"started": True})


async def test_state_belongs_to_one_running_bot(botkit_harness) -> None:
    caller = Caller()
    async with botkit_harness(plugins={"caller": caller}):
        pass
    async with botkit_harness(plugins={"caller": caller}):
        first, second = caller.handles
        assert first is not second


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("notes/a.txt", "notes/a.txt"),
        ("../etc/passwd", "refused: the path leads outside the directory"),
        (
            "/etc/passwd",
            "refused: absolute paths are not allowed; give a path inside the directory",
        ),
        (
            "x" * 300,
            "refused: the name is too long (at most 255 bytes a name, 1024 characters in all)",
        ),
    ],
)
async def test_paths_from_chat_stay_in_the_data_directory(botkit_harness, path, expected) -> None:
    async with botkit_harness(plugins={"caller": Caller()}) as bot:
        assert (await bot.send(f"!where {path}")).text == expected


async def test_a_long_reply_is_sent_as_a_file(botkit_harness) -> None:
    class Long:
        @botkit.hookimpl
        def botkit_commands(self) -> list[botkit.Command]:
            async def essay(ctx: Context) -> str:
                return "word " * 200_000

            return [botkit.command(essay)]

    async with botkit_harness(plugins={"long": Long()}) as bot:
        sent = await bot.send("!essay")
    assert len(sent) == 1
    assert sent.text == "The answer is long (1,000,000 characters), so it is attached as reply.md."
    assert [f.filename for f in sent.files] == ["reply.md"]
    assert sent.files[0].data == ("word " * 200_000).encode()


async def test_a_lone_surrogate_is_replaced_not_a_crash(botkit_harness) -> None:
    chat = Chat()
    async with botkit_harness(plugins={"chat": chat}) as bot:
        sent = await bot.dm("hello \ud800 there")
    assert sent.text == "hello \ufffd there (a snippet)"


async def test_reply_to_a_deliver_hook_may_replace_the_reply(botkit_harness) -> None:
    class Voicey(Chat):
        @botkit.hookimpl
        def botkit_deliver(self, ctx: Context, reply: Reply) -> Reply:
            return Reply(files=(botkit.File("voice.ogg", data=b"OggS", voice=True),))

    async with botkit_harness(plugins={"chat": Voicey()}) as bot:
        sent = await bot.dm("hi")
    assert [(f.filename, f.voice) for f in sent.files] == [("voice.ogg", True)]
