"""What the model receives: instructions, context notes, transcripts, request options."""

from __future__ import annotations

import pytest
from conftest import sent_messages

from botkit import Attachment, Context, hookimpl
from botkit.testing import RecordingAdapter


class Notes:
    """A context plugin that knows one fact."""

    @hookimpl
    def botkit_knowledge(self, ctx: Context, text: str) -> list[str]:
        return ["The office opens at 9."]


class Ears:
    """A speech-to-text plugin that hears the same sentence in any audio."""

    @hookimpl
    async def botkit_transcribe(self, ctx: Context, attachment: Attachment) -> str:
        await attachment.read()
        return "when does the office open"


async def test_the_system_prompt_comes_first(chat_bot, server) -> None:
    async with chat_bot(system_prompt="Be terse.") as bot:
        await bot.send("hi", mention=True)
    assert sent_messages(server)[0] == {"role": "system", "content": "Be terse."}


async def test_context_snippets_go_into_the_system_part(chat_bot, server) -> None:
    async with chat_bot(system_prompt="Be terse.", plugins={"notes": Notes()}) as bot:
        await bot.send("when do you open?", mention=True)
    system = sent_messages(server)[0]["content"]
    assert system.startswith("Be terse.")
    assert "- The office opens at 9." in system


async def test_context_snippets_are_sent_even_without_a_system_prompt(chat_bot, server) -> None:
    async with chat_bot(system_prompt="", plugins={"notes": Notes()}) as bot:
        await bot.send("when do you open?", mention=True)
    assert "The office opens at 9." in sent_messages(server)[0]["content"]


async def test_an_empty_system_prompt_sends_only_the_conversation(chat_bot, server) -> None:
    async with chat_bot(system_prompt="") as bot:
        await bot.send("hi", mention=True)
    assert sent_messages(server) == [{"role": "user", "content": "hi"}]


async def test_a_voice_message_is_answered_from_its_transcript(chat_bot, server) -> None:
    voice = chat_bot(plugins={"ears": Ears()})
    async with voice as bot:
        clip = bot.attachment("voice-message.ogg", b"OggS...", "audio/ogg", voice=True)
        replies = await bot.dm("", attachments=[clip])
    assert replies.text == "echo: when does the office open"
    assert sent_messages(server)[-1] == {"role": "user", "content": "when does the office open"}


async def test_the_request_carries_model_temperature_and_reply_cap(chat_bot, server) -> None:
    async with chat_bot(model="gpt-4o", temperature=0.2, max_reply_tokens=50) as bot:
        await bot.send("hi", mention=True)
    body = server.requests[-1].json
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("gpt-4o", 0.2, 50)


async def test_no_reply_cap_leaves_the_length_to_the_server(chat_bot, server) -> None:
    async with chat_bot(max_reply_tokens=0) as bot:
        await bot.send("hi", mention=True)
    assert "max_tokens" not in server.requests[-1].json


async def test_an_empty_answer_is_explained(chat_bot, server) -> None:
    server.chat_handler = lambda body: ""
    async with chat_bot() as bot:
        replies = await bot.send("hi", mention=True)
    assert replies.text == "The model sent an empty answer. Please ask again in other words."


@pytest.mark.parametrize(
    ("adapter", "dm", "place"),
    [
        ("discord", False, "in a Discord server"),
        ("discord", True, "in a direct message on Discord"),
        ("telegram", False, "in a Telegram group"),
        ("telegram", True, "in a private Telegram chat"),
        ("console", True, "in a terminal"),
        ("matrix", False, "in a chat"),
    ],
)
async def test_the_default_prompt_names_the_platform(chat_bot, server, adapter, dm, place) -> None:
    async with chat_bot(adapter=RecordingAdapter(name=adapter)) as bot:
        await (bot.dm("hi") if dm else bot.send("hi", mention=True))
    assert sent_messages(server)[0] == {
        "role": "system",
        "content": f"You are a helpful assistant {place}. "
        "Answer clearly and briefly; use Markdown only where it helps.",
    }


async def test_the_default_prompt_botkit_0_2_wrote_into_the_file_names_the_platform(
    chat_bot, server
) -> None:
    written = (
        "You are a helpful assistant in a Discord server. Answer clearly and briefly; "
        "use Markdown only where it helps."
    )
    async with chat_bot(system_prompt=written, adapter=RecordingAdapter(name="telegram")) as bot:
        await bot.send("hi", mention=True)
    assert sent_messages(server)[0]["content"].startswith(
        "You are a helpful assistant in a Telegram group."
    )
