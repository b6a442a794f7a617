"""Start-up clean-up and shutdown."""

from __future__ import annotations

import os
import time

from voice_helpers import OWNER_IN_VOICE, SlowVoice

from botkit.testing import GUILD


async def test_startup_removes_only_stale_speech_files(voice_bot, tmp_path):
    work = tmp_path / "data" / "voice" / "tmp"
    work.mkdir(parents=True)
    old, recent = work / "old.wav", work / "recent.wav"
    old.write_bytes(b"RIFF")
    recent.write_bytes(b"RIFF")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    async with voice_bot():
        pass
    assert sorted(p.name for p in work.iterdir()) == ["recent.wav"]


async def test_shutdown_leaves_voice_channels(voice_bot):
    voice = SlowVoice()
    async with voice_bot(voice=voice) as bot:
        await bot.send("!join", user=OWNER_IN_VOICE)
        assert voice.is_connected(GUILD)
    assert not voice.is_connected(GUILD)
