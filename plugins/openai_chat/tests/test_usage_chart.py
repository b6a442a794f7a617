"""``!usage`` in a server attaches the last 30 days of chat tokens as a PNG bar chart."""

from __future__ import annotations

import io

from botkit_openai_chat.usage_chart import tokens_per_day
from PIL import Image

from botkit import User

ANN = User(id="11", name="ann")


async def test_usage_attaches_a_chart_of_the_last_30_days(chat_bot, clock) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.send("two words", mention=True, user=ANN)  # 2 + 3 tokens
        clock.advance(24 * 3600)
        await bot.send("three words here", mention=True, user=ANN)  # with the first turn
        replies = await bot.send("!usage", user=ANN)
        state = bot.bot.plugin_handle("openai_chat").state
        points = await tokens_per_day(state.storage, bot.channel.guild_id, state.now())
    [chart] = replies.files
    assert chart.filename == "usage-2024-05-18.png"
    assert Image.open(io.BytesIO(chart.read_bytes())).format == "PNG"
    assert len(points) == 30
    assert points[-2:] == [("2024-05-17", 5), ("2024-05-18", 12)]
    assert "this server 12; you 12." in replies.text
    assert sum(tokens for _, tokens in points) == 17


async def test_usage_in_direct_messages_has_no_chart(chat_bot) -> None:
    async with chat_bot(system_prompt="") as bot:
        replies = await bot.dm("!usage", user=ANN)
    assert replies.files == []
