"""!listen on Discord, end to end: discord.py's real voice client against the test kit's voice
server; two people ask aloud (espeak-ng speech sent as Discord sends it), Whisper hears them,
each gets the answer to their own question in text and aloud, and speaking over the bot
stops it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import botkit_voice
import pytest
from botkit_voice import espeak_worker, stt
from voice_helpers import words

import botkit
from botkit import Context
from botkit_testkit.discord import FakeDiscord
from botkit_testkit.discord.voice_server import VoiceServer, opus_frames, silent_frames

WEATHER = "What is the weather in Paris?"
DRAGON = "Tell me a story about a dragon."
STOP = "Stop please."
SUNNY = "It is sunny in Paris today."
STORY = (
    "Once upon a time a small green dragon lived in a cave above a quiet village. "
    "Every morning it flew over the fields, counted the sheep, and sang to the river. "
    "One winter the river froze, and the dragon breathed warm air on it until it sang back."
)
ALRIGHT = "Alright, I stopped."
CONFIG = {
    "voice": {
        "tts_engine": "espeak",
        "stt_engine": "whisper",
        "also_post_text": True,
        "max_speech_chars": 1000,
    }
}


class Answers:
    """A chat model with an answer of its own for each question."""

    @botkit.hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        heard = words(text)
        if "weather" in heard:
            return SUNNY
        if "dragon" in heard or "story" in heard:
            return STORY
        return ALRIGHT


def speech(directory: Path, text: str) -> Path:
    """``text`` spoken by espeak-ng, as a WAV file."""
    path = directory / f"{len(list(directory.iterdir()))}.wav"
    command = [sys.executable, espeak_worker.__file__, "en-us", str(path)]
    subprocess.run(command, input=text.encode(), check=True, timeout=30)
    return path


def frames(path: Path) -> list[bytes]:
    """What a Discord client sends for a recording: its Opus, then a second of quiet."""
    return opus_frames(path) + silent_frames(1.0)


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


def posted(dh) -> list[tuple[str, str | None]]:
    """The bot's messages in the text channel: (text, id of the message it answers)."""
    out = []
    for request in dh.fake.requests:
        if request.route == f"POST /channels/{dh.channel}/messages":
            reference = (request.json.get("message_reference") or {}).get("message_id")
            out.append((request.content, reference and str(reference)))
    return out


def transcript_ids(dh) -> dict[str, str]:
    """Transcript line -> the id of the message the fake stored for it."""
    return {
        m["content"]: str(m["id"])
        for m in dh.fake.messages.values()
        if m["content"].startswith("🎙️ ") and ":" in m["content"]
    }


async def until(condition: Callable[[], bool], limit: float = 90.0) -> None:
    """Wait (at most ``limit`` seconds) until ``condition()`` holds."""
    for _ in range(int(limit / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("what the test waited for did not happen")


@pytest.fixture(scope="module")
def questions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("questions")
    return {text: speech(directory, text) for text in (WEATHER, DRAGON, STOP, STORY)}


@pytest.mark.parametrize("dave", [0, 1], ids=["transport-encryption", "dave-end-to-end"])
async def test_two_people_ask_aloud_and_each_is_answered_and_speaking_over_the_bot_stops_it(
    discord_harness, questions, dave
) -> None:
    plugins = {"voice": botkit_voice, "chat": Answers()}
    async with (
        VoiceServer(dave_protocol_version=dave) as server,
        discord_harness(
            plugins=plugins, config=CONFIG, fake=FakeDiscord(voice_server=server)
        ) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.join_voice(dh.admin)
        started = await dh.message("!listen", author=dh.member)
        joined = await dh.message("!listen", author=dh.admin)
        member, admin = dh.member.id, dh.admin.id

        await server.speak(member, frames(questions[WEATHER]), pace=0.005)
        await until(lambda: len(server.bot_spurts()) == 1 and not server.bot_playing())
        await server.speak(admin, frames(questions[DRAGON]), pace=0.005)
        await until(lambda: len(server.bot_spurts()) == 2 and len(server.bot_spurts()[1]) > 50)
        await server.speak(member, frames(questions[STOP]), pace=0.02)  # over the story
        await until(lambda: any(text == ALRIGHT for text, _ in posted(dh)))
        await until(lambda: len(server.bot_spurts()) == 3 and not server.bot_playing())
        said = posted(dh)
        ids = transcript_ids(dh)
        encrypted = {uid: person.ready for uid, person in server.dave_people.items()}
        stopped = await dh.message("!listen stop", author=dh.member)

    assert started.text.startswith("🎙️ Listening in Lounge. I hear only those who said !listen")
    assert "Member, Admin" in joined.text
    lines = [text for text, _ in said]
    heard = [line for line in lines if line.startswith(("🎙️ Member:", "🎙️ Admin:"))]
    assert [line.split(":")[0] for line in heard] == ["🎙️ Member", "🎙️ Admin", "🎙️ Member"]
    assert {"weather", "paris"} <= set(words(heard[0]))
    assert {"story", "dragon"} <= set(words(heard[1]))
    assert "stop" in words(heard[2])
    answers = {reference: text for text, reference in said if text in (SUNNY, STORY, ALRIGHT)}
    assert answers == {ids[heard[0]]: SUNNY, ids[heard[1]]: STORY, ids[heard[2]]: ALRIGHT}
    sunny, story, alright = (len(spurt) for spurt in server.bot_spurts())
    full_story = seconds(questions[STORY]) * 50  # packets of 20 ms
    assert sunny > 50 and alright > 25
    assert 50 < story < full_story / 2  # the member spoke over it: it stopped early
    assert stopped.text == "🎙️ I stopped listening."
    assert encrypted == ({int(member): True, int(admin): True} if dave else {})


async def test_listening_stops_when_everyone_has_left_the_voice_channel(discord_harness) -> None:
    plugins = {"voice": botkit_voice, "chat": Answers()}
    async with (
        VoiceServer() as server,
        discord_harness(
            plugins=plugins, config=CONFIG, fake=FakeDiscord(voice_server=server)
        ) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.message("!listen", author=dh.member)
        await dh.leave_voice(dh.member)
        await until(lambda: not dh.bot.plugin_handle("voice").state.sessions)
    assert posted(dh)[-1][0] == "🎙️ I stopped listening: everyone left Lounge."


async def test_someone_who_did_not_opt_in_is_not_even_decrypted_until_they_say_listen(
    discord_harness, questions, monkeypatch
) -> None:
    heard: list[float] = []

    async def recognise(settings, pcm, language):
        heard.append(len(pcm) / 32000)
        return "what is the weather"

    monkeypatch.setitem(stt.RECOGNISERS, "sphinx", recognise)
    config = {"voice": {**CONFIG["voice"], "stt_engine": "sphinx"}}
    plugins = {"voice": botkit_voice, "chat": Answers()}
    async with (
        VoiceServer() as server,
        discord_harness(
            plugins=plugins, config=config, fake=FakeDiscord(voice_server=server)
        ) as dh,
    ):
        await dh.join_voice(dh.member)
        await dh.join_voice(dh.admin)
        await dh.message("!listen", author=dh.member)
        receiver = dh.bot.plugin_handle("voice").capabilities.voice._receivers[str(dh.guild)]
        asked = frames(questions[WEATHER])
        await server.speak(dh.admin.id, asked, pace=0.005)
        await until(lambda: receiver.unwanted >= len(asked) + 5)  # and the 5 silence frames
        await asyncio.sleep(1.0)  # longer than a turn's end
        admins = [line for line in transcript_ids(dh) if line.startswith("🎙️ Admin")]
        before = (receiver.opened[dh.admin.id], list(heard), admins)
        await dh.message("!listen", author=dh.admin)
        await server.speak(dh.admin.id, asked, pace=0.005)
        await until(lambda: "🎙️ Admin: what is the weather" in transcript_ids(dh))
    assert before == (0, [], [])
    assert receiver.opened[dh.admin.id] >= len(asked)
    assert len(heard) == 1
