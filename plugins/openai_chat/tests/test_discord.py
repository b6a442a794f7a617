"""Through the Discord adapter, as discord.py parses real gateway payloads."""

from __future__ import annotations

from botkit_openai_chat import ChatPlugin
from conftest import chat_config, said


async def test_a_reply_chain_keeps_its_context(discord_harness, server, clock) -> None:
    plugins = {"openai_chat": ChatPlugin(now=clock.now)}
    config = {"openai_chat": chat_config(server)}
    async with discord_harness(plugins=plugins, config=config, clock=clock) as dh:
        first = await dh.message("my locker is 42", author=dh.member, mention=True)
        await dh.message("something else", author=dh.member, mention=True)
        # another user replies to the first answer: their conversation starts from it
        second = await dh.message("which locker?", author=dh.admin, reply_to=first[0].id)
        third = await dh.message("and the floor?", author=dh.admin, reply_to=second[0].id)
    assert third.text == "echo: and the floor?"
    assert said(server) == [
        "my locker is 42",
        "echo: my locker is 42",
        "which locker?",
        "echo: which locker?",
        "and the floor?",
    ]
