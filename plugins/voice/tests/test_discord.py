"""On Discord (the real discord.py client against the test kit's fake Discord)."""

from __future__ import annotations

import base64

import botkit_voice
from voice_helpers import PHRASE, EchoChat, words


async def test_a_voice_message_is_answered_with_a_voice_message(discord_harness, voice_message):
    plugins = {"voice": botkit_voice, "chat": EchoChat()}
    config = {"voice": {"tts_engine": "espeak", "stt_engine": "whisper", "speak_when": "voice"}}
    async with discord_harness(plugins=plugins, config=config) as dh:
        note = dh.attachment("voice-message.ogg", voice_message, "audio/ogg", voice=True)
        sent = await dh.dm("", attachments=[note], voice=True, author=dh.member)
    heard, answer, spoken = sent
    assert words(heard.json["content"]) == PHRASE.split()
    assert answer.json["content"] == f"you said: {heard.json['content'].removeprefix('🎤 ')}"
    assert spoken.json["flags"] == 8192  # Discord's voice-message flag
    assert "content" not in spoken.json  # a voice message carries no text
    [attachment] = spoken.json["attachments"]
    assert attachment["filename"] == "voice-message.ogg"
    assert 1 < attachment["duration_secs"] < 10
    assert len(base64.b64decode(attachment["waveform"])) == 256
    [upload] = spoken.files
    assert upload.data[:4] == b"OggS"
