"""``!config``: a server's admins change a plugin's server settings from chat."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import botkit
from botkit import Context, setting
from botkit.config import Config, ConfigError
from botkit.models import Channel
from botkit.testing import ADMIN, MEMBER, OWNER


def temperature_range(instance: Any, attribute: Any, value: float) -> None:
    if not 0 <= value <= 2:
        raise ValueError(f"temperature must be between 0 and 2, not {value!r}")


@attrs.define
class ChatSettings:
    temperature: float = setting(0.7, "sampling temperature", temperature_range, server=True)
    base_url: str = setting("https://api.example.test/v1", "the service", owner_only=True)
    api_key_env: str = setting("CHAT_API_KEY", "variable holding the key")


async def temp(ctx: Context) -> str:
    """Say the temperature in force here."""
    return f"temperature {ctx.settings.temperature} at {ctx.settings.base_url}"


class Chat:
    @botkit.hookimpl
    def botkit_settings(self) -> type:
        return ChatSettings

    @botkit.hookimpl
    def botkit_commands(self) -> list[botkit.Command]:
        return [botkit.command(temp)]


ELSEWHERE = Channel(id="700", name="general", guild_id="501")


@pytest.fixture
async def bot(botkit_harness):
    async with botkit_harness(plugins={"chat": Chat()}) as harness:
        yield harness


async def test_config_lists_the_settings_a_server_may_change(bot) -> None:
    text = (await bot.send("!config chat", user=MEMBER)).text
    assert text.splitlines()[:3] == [
        "**[chat]** in this server:",
        "`temperature` = 0.7",
        "`base_url` (owner only: its value is shown to the owner)",
    ]
    assert "api_key_env" not in text


async def test_the_owner_reads_an_owner_only_value(bot) -> None:
    text = (await bot.send("!config chat", user=OWNER)).text
    assert "`base_url` = 'https://api.example.test/v1' (owner only)" in text.splitlines()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://bob:hunter2hunter2@llm.example.test/v1", "https://bob:***@llm.example.test/v1"),
        (
            "https://llm.example.test/v1?api-key=abcdef123456",
            "https://llm.example.test/v1?api-key=***",
        ),
    ],
)
async def test_credentials_inside_a_url_are_masked_even_for_the_owner(bot, url, shown) -> None:
    await bot.send(f"!config chat base_url {url}", user=OWNER)
    text = (await bot.send("!config chat", user=OWNER)).text
    assert f"`base_url` = {shown!r} (owner only)" in text.splitlines()
    assert "hunter2" not in text and "abcdef123456" not in text


async def test_an_admin_cannot_reset_an_owner_only_setting(bot) -> None:
    await bot.send("!config chat base_url https://owner.example.test/v1", user=OWNER)
    reply = (await bot.send("!config chat base_url reset", user=ADMIN)).text
    assert reply == "[chat] base_url can be changed only by the bot's owner"
    assert (await bot.send("!temp", user=MEMBER)).text.endswith("https://owner.example.test/v1")


async def test_a_set_value_takes_effect_in_that_server_only(bot) -> None:
    reply = (await bot.send("!config chat temperature 0.2", user=ADMIN)).text
    assert reply == "[chat] temperature = 0.2 in this server."
    assert (await bot.send("!temp", user=MEMBER)).text.startswith("temperature 0.2 ")
    other = await bot.send("!temp", user=MEMBER, channel=ELSEWHERE)
    assert other.text.startswith("temperature 0.7 ")


async def test_an_invalid_value_is_refused_with_the_settings_class_message(bot) -> None:
    with pytest.raises(ConfigError) as from_file:
        Config.from_dict({"chat": {"temperature": 9}}).section("chat", ChatSettings)
    reply = (await bot.send("!config chat temperature 9", user=ADMIN)).text
    message = "[chat]: temperature must be between 0 and 2, not 9.0"
    assert message in str(from_file.value)
    assert reply == f"this server: {message}"
    assert (await bot.send("!temp", user=MEMBER)).text.startswith("temperature 0.7 ")


async def test_a_value_of_the_wrong_type_is_refused(bot) -> None:
    reply = (await bot.send("!config chat temperature warm", user=ADMIN)).text
    assert reply == "this server: [chat] temperature: expected a number, got 'warm'"


async def test_an_owner_only_setting_is_refused_to_an_admin(bot) -> None:
    reply = (await bot.send("!config chat base_url http://x", user=ADMIN)).text
    assert reply == "[chat] base_url can be changed only by the bot's owner"
    assert (await bot.send("!temp", user=MEMBER)).text.endswith("https://api.example.test/v1")


async def test_the_owner_may_change_an_owner_only_setting(bot) -> None:
    reply = (await bot.send('!config chat base_url "http://x"', user=OWNER)).text
    assert reply == "[chat] base_url = 'http://x' in this server."
    assert (await bot.send("!temp", user=MEMBER)).text.endswith("at http://x")


async def test_a_setting_not_marked_for_servers_is_refused(bot) -> None:
    reply = (await bot.send("!config chat api_key_env OTHER", user=OWNER)).text
    assert reply == "[chat] api_key_env can be changed only in the configuration file"


async def test_an_unknown_setting_is_refused(bot) -> None:
    reply = (await bot.send("!config chat colour red", user=ADMIN)).text
    assert reply == "[chat] has no setting 'colour'"


async def test_a_member_cannot_change_a_setting(bot) -> None:
    reply = (await bot.send("!config chat temperature 0.2", user=MEMBER)).text
    assert reply == "Only server admins (Manage Server) can use this command."


async def test_reset_brings_back_the_files_value(bot) -> None:
    await bot.send("!config chat temperature 0.2", user=ADMIN)
    reply = (await bot.send("!config chat temperature reset", user=ADMIN)).text
    assert reply == "[chat] temperature is back to the bot's default here."
    assert (await bot.send("!temp", user=MEMBER)).text.startswith("temperature 0.7 ")


async def test_a_value_survives_a_restart(botkit_harness) -> None:
    async with botkit_harness(plugins={"chat": Chat()}) as bot:
        await bot.send("!config chat temperature 0.2", user=ADMIN)
    async with botkit_harness(plugins={"chat": Chat()}) as bot:
        assert (await bot.send("!temp", user=MEMBER)).text.startswith("temperature 0.2 ")


async def test_an_unknown_plugin_is_named(bot) -> None:
    reply = (await bot.send("!config nope", user=ADMIN)).text
    assert reply == "No plugin 'nope' has settings (plugins with settings: chat)."
