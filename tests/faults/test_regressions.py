"""One test per case of issue 11 that the host answers for: each gets a clear reply or a
named plugin error, and the bot keeps serving everyone else."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import attrs
import sqlalchemy as sa
from fault_plugins import FakeClock

import botkit
from botkit.adapters.console import ConsoleAdapter
from botkit.bot import Bot
from botkit.cli import main
from botkit.config import Config
from botkit.logs import redact, setup_logging
from botkit.paths import UnsafePath, inside, safe_filename
from botkit.plugins import Plugins
from botkit.runner import run_bot, serve
from botkit.testing import MEMBER
from botkit.text import clean_text
from botkit_testkit.openai_server import FakeOpenAI

SYSTEM_EXIT_ON_IMPORT = "raise SystemExit(3)\n"
COMMANDS_AS_A_STRING = """
import botkit

@botkit.hookimpl
def botkit_commands():
    return "hi"
"""


def test_run_with_a_plugin_exiting_on_import_answers_and_names_it(tmp_path, install_plugin):
    install_plugin("quitter", "quitter_plugin", SYSTEM_EXIT_ON_IMPORT)
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "BOTKIT_CONFIG")}
    env.update(
        BOTKIT_DATA_DIR=str(tmp_path / "data"),
        BOTKIT_PLUGINS="quitter",
        PYTHONPATH=str(tmp_path / "site"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "botkit.cli", "run", "--adapter", "console"],
        input="!hi\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "HI!\n")
    assert "plugin quitter could not be loaded: SystemExit: 3" in done.stderr


def test_plugins_list_names_a_plugin_whose_commands_are_a_string(
    tmp_path, install_plugin, monkeypatch, capsys
):
    install_plugin("stringy", "stringy_plugin", COMMANDS_AS_A_STRING)
    monkeypatch.setenv("BOTKIT_PLUGINS", "stringy")
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path / "data"))
    assert main(["plugins", "list"]) == 0
    out = capsys.readouterr().out
    assert "stringy" in out
    assert "error: returned a bad result from botkit_commands: str 'hi' where a list" in out


class FailingTable:
    @botkit.hookimpl
    def botkit_tables(self) -> sa.MetaData:
        metadata = sa.MetaData()
        sa.Table("broken", metadata, sa.Column("x", sa.Integer, server_default=sa.text("nope(")))
        return metadata


async def test_a_table_whose_create_fails_drops_only_its_plugin(fault_bot):
    async with fault_bot({"tables": FailingTable()}) as bot:
        hi = await bot.send("!hi", user=MEMBER)
        listing = (await bot.send("!plugins")).text
    assert hi.text == "HI!"
    assert "`tables`  error: could not create or upgrade its tables: OperationalError" in listing


class Misbehaving:
    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        async def answer(ctx: botkit.Context) -> object:
            """Answer with a number."""
            return 42

        async def stop(ctx: botkit.Context) -> None:
            """Raise a cancellation of its own."""
            raise asyncio.CancelledError

        async def huge(ctx: botkit.Context) -> str:
            """A megabyte of text."""
            return "word " * 200_000

        return [botkit.command(answer), botkit.command(stop), botkit.command(huge)]

    @botkit.hookimpl
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        return f"echo: {text}"

    @botkit.hookimpl
    async def botkit_knowledge(self, ctx: botkit.Context, text: str) -> object:
        raise asyncio.CancelledError


async def converse(tmp_path: Path, lines: str) -> str:
    """A console bot, as ``botkit run`` starts it, over ``lines``; what it printed."""
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data"), "typing_delay": 0}})
    bot = Bot.build(config, extra_plugins=[("odd", Misbehaving())], entry_points=False)
    out = io.StringIO()
    adapter = ConsoleAdapter(config.data_dir, stdin=io.StringIO(lines), stdout=out)
    assert await serve(bot, adapter) == 0
    return out.getvalue()


async def test_console_survives_a_command_returning_a_number(tmp_path):
    out = await converse(tmp_path, "!answer\n!hi\n")
    assert out == "!answer failed; the details are in the bot's log.\nHI!\n"


async def test_console_survives_a_command_raising_cancelled_error(tmp_path):
    out = await converse(tmp_path, "!stop\n!hi\n")
    assert out == "!stop failed; the details are in the bot's log.\nHI!\n"


async def test_console_survives_a_hook_raising_cancelled_error(tmp_path):
    out = await converse(tmp_path, "hello\n!hi\n")
    assert out == "echo: hello\nHI!\n"


async def test_a_megabyte_reply_is_one_message_with_reply_md(fault_bot):
    async with fault_bot({"odd": Misbehaving()}) as bot:
        replies = await bot.send("!huge")
    assert len(replies) == 1
    assert replies[0].text.startswith("The answer is long (1,000,000 characters)")
    assert [f.filename for f in replies.files] == ["reply.md"]
    assert len(replies.files[0].data) == 1_000_000


class Sleeper:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    @botkit.hookimpl
    async def botkit_message_received(self, ctx: botkit.Context) -> None:
        self.clock.advance(4.0)  # time.sleep(4) in an async def, as the loop sees it


async def test_a_blocking_hook_is_logged_and_counted(fault_bot, caplog):
    clock = FakeClock()
    with caplog.at_level(logging.WARNING, "botkit.watchdog"):
        async with fault_bot({"sleeper": Sleeper(clock)}, clock=clock) as bot:
            await bot.send("hello", user=MEMBER)
            listing = (await bot.send("!plugins")).text
    assert "plugin sleeper: botkit_message_received held the event loop for 4.00 s" in caplog.text
    assert "`sleeper`  ok (2 slow calls)" in listing


class Surrogates:
    def __init__(self) -> None:
        self.heard: list[str] = []

    @botkit.hookimpl
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        self.heard.append(text)
        return "back: \ud800"


async def test_a_lone_surrogate_is_replaced_on_the_way_in_and_out(fault_bot):
    chat = Surrogates()
    async with fault_bot({"chat": chat}) as bot:
        replies = await bot.dm("hi \ud800 there", user=MEMBER)
    assert chat.heard == ["hi \ufffd there"]
    assert replies.text == "back: \ufffd"
    replies.text.encode("utf-8")


def test_clean_text_drops_nul_which_postgresql_refuses():
    assert clean_text("a\x00b") == "ab"


def test_a_300_character_name_is_refused_with_the_reason(tmp_path):
    try:
        inside(tmp_path, "a" * 300)
    except UnsafePath as exc:
        assert "too long" in str(exc)
    else:
        raise AssertionError("a 300-character name was accepted")


def test_a_long_name_in_a_script_with_wide_letters_fits_a_file_system(tmp_path):
    name = safe_filename("данные" * 60 + ".jsonl")
    assert name.endswith(".jsonl")
    (tmp_path / name).write_bytes(b"{}")  # no ENAMETOOLONG


async def test_no_key_in_any_reply_or_log_line_when_the_service_echoes_it(
    tmp_path, monkeypatch, capsys
):
    key = "llm-credential-e2b7c41d"
    monkeypatch.setenv("LLM_CREDENTIAL", key)
    async with FakeOpenAI(api_key="another-key", echo_key=True) as server:
        service = {"base_url": server.base_url, "api_key_env": "LLM_CREDENTIAL"}
        config = Config.from_dict(
            {
                "bot": {"data_dir": str(tmp_path / "data"), "typing_delay": 0},
                "openai_chat": {**service, "max_retries": 0},
                "trainer": {**service, "provider": "openai", "max_retries": 0, "min_examples": 1},
                "voice": {**service, "tts_engine": "openai", "stt_engine": "openai"},
            }
        )
        setup_logging("DEBUG", config)
        monkeypatch.setenv("BOTKIT_PLUGINS", "openai_chat,trainer,voice")
        bot = Bot.build(config)
        lines = "hello\n!train text What is 2+2? => 4\n!train start\n!say hello\n"
        out = io.StringIO()
        adapter = ConsoleAdapter(config.data_dir, stdin=io.StringIO(lines), stdout=out)
        await run_bot(bot, adapter)
        logging.getLogger("botkit.test").error("the service said: %s", f"bad key {key}")
    logged = capsys.readouterr().err
    assert {"/chat/completions", "/files", "/audio/speech"} <= {r.path for r in server.requests}
    assert key not in out.getvalue()
    assert key not in logged
    assert "bad key ***" in logged
    assert redact(f"Incorrect API key provided: {key}.") == "Incorrect API key provided: ***."


async def test_a_plugin_setting_default_names_a_key_variable_that_is_masked(tmp_path, monkeypatch):
    @attrs.define
    class WithKey:
        api_key_env: str = botkit.setting("ODD_SERVICE_CREDENTIAL", "the key's variable")

    class Keyed:
        @botkit.hookimpl
        def botkit_settings(self) -> type:
            return WithKey

    monkeypatch.setenv("ODD_SERVICE_CREDENTIAL", "odd-service-value-1234")
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path / "data")}})
    bot = Bot.build(config, extra_plugins=[("keyed", Keyed())], entry_points=False)
    adapter = ConsoleAdapter(config.data_dir, stdin=io.StringIO(""), stdout=io.StringIO())
    await run_bot(bot, adapter)
    assert redact("echoed odd-service-value-1234 back") == "echoed *** back"


async def test_getfile_refuses_a_300_character_name_saying_so(fault_bot):
    async with fault_bot({}) as bot:
        replies = await bot.send("!getfile " + "b" * 300)
    assert "too long" in replies.text


class StoresNothing:
    @botkit.hookimpl
    def botkit_delete_user_data(self, plugin: botkit.PluginHandle, user_id: str) -> None:
        return None


async def test_forgetme_does_not_blame_a_plugin_that_stored_nothing(fault_bot):
    async with fault_bot({"empty": StoresNothing()}) as bot:
        await bot.send("!forgetme", user=MEMBER)
        replies = await bot.send("!forgetme confirm", user=MEMBER)
    assert replies.text == "Done: I stored nothing about you."


class SurrogateServices:
    @botkit.hookimpl
    def botkit_knowledge(self, ctx: botkit.Context, text: str) -> list[str]:
        return ["fact \udc80"]

    @botkit.hookimpl
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        return f"heard {snippets}"


async def test_text_a_hook_returns_reaches_other_plugins_encodable(fault_bot):
    async with fault_bot({"services": SurrogateServices()}) as bot:
        replies = await bot.dm("tell me", user=MEMBER)
    assert replies.text == "heard ['fact \ufffd']"


def slow_commands(clock: FakeClock) -> object:
    class SlowToRegister:
        @botkit.hookimpl
        def botkit_commands(self) -> list[botkit.Command]:
            clock.advance(3.0)  # e.g. a heavy import at registration
            return []

    return SlowToRegister()


def test_a_registration_hook_that_blocks_is_named(caplog):
    clock = FakeClock()
    plugins = Plugins(strict=False, clock=clock)
    plugins.register(slow_commands(clock), "heavy")
    with caplog.at_level(logging.WARNING, "botkit.watchdog"):
        assert plugins.collect("botkit_commands") == {"heavy": []}
    assert "plugin heavy: botkit_commands held the event loop for 3.00 s" in caplog.text
    assert plugins.statuses["heavy"].slow_calls == 1


class Flood:
    @botkit.hookimpl
    def botkit_knowledge(self, ctx: botkit.Context, text: str) -> list[str]:
        return ["snippet"] * 100_000

    @botkit.hookimpl
    def botkit_respond(self, ctx: botkit.Context, text: str, snippets: list[str]) -> str:
        return "line\n" * (200_000 + len(snippets) // 100_000)


async def test_a_megabyte_answer_with_100000_snippets_is_one_message_and_reply_md(fault_bot):
    async with fault_bot({"flood": Flood()}) as bot:
        replies = await bot.dm("tell me everything", user=MEMBER)
        hi = await bot.send("!hi", user=MEMBER)
    assert [f.filename for f in replies.files] == ["reply.md"]
    assert len(replies) == 1
    assert hi.text == "HI!"


class Hanging:
    @botkit.hookimpl
    async def botkit_models(self, plugin: botkit.PluginHandle, guild_id: str | None) -> None:
        await asyncio.Event().wait()


async def test_a_caller_may_give_a_hook_a_shorter_time_out(tmp_path):
    config = Config.from_dict({"bot": {"data_dir": str(tmp_path), "hook_timeout": 3600.0}})
    bot = Bot.build(config, extra_plugins=[("hanging", Hanging())], entry_points=False)
    found = await bot.plugins.call_all("botkit_models", plugin=None, hook_timeout=0.01)
    assert found == []
    assert bot.plugins.statuses["hanging"].timeouts == 1
