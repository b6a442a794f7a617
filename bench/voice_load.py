"""Voice load benchmark: does the bot keep answering while it speaks and listens a lot?

One bot in this process with the voice plugin and a chat plugin that echoes, on the test kit's
recording adapter. First the baseline: for a few seconds, nothing but the probes. Then the
load: 20 ``!say`` (20 users, each in a voice channel of their own server) and 20 voice messages
(Ogg/Opus of a spoken sentence, 20 users) all sent at once, while the probes run:

- event-loop lag: a task sleeps 10 ms again and again; lag is how much later it wakes;
- ``!hi`` latency: another user sends ``!hi`` every 50 ms, one after another;
- time until each request is served: a ``!say`` when its speech starts playing, a voice message
  when its answer has been sent.

The engines are the production defaults where they are offline: espeak-ng for speech, Whisper
(if botkit-voice[whisper] is installed, else PocketSphinx) for recognition, in the plugin's
worker pool (one process per core). Ratios are to the baseline of the same run.

    python bench/voice_load.py [--requests 20] [--baseline-seconds 3] [--tts espeak|piper]

``--tts piper`` speaks with botkit-piper (worker threads: onnxruntime computes outside the GIL).

Targets: loop lag p99 under 50 ms and ``!hi`` p99 under 100 ms under load; every request
served.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs
import botkit_voice
from botkit_voice import jobs, whisper_model

from botkit import Channel, ChannelKind, Context, User, hookimpl
from botkit.adapter import VoiceConnections
from botkit.testing import RecordingAdapter, start_harness
from botkit.util import ffmpeg_executable

SENTENCE = "please turn on the lights in the kitchen"
PROBE_USER = User(id="9999", name="prober")


class EchoChat:
    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return f"you said: {text}"


@attrs.define
class TimingVoice(VoiceConnections):
    """Voice connections that note when each server's speech starts playing."""

    expected: int = 0
    started: dict[str, float] = attrs.Factory(dict)
    all_started: asyncio.Event = attrs.Factory(asyncio.Event)

    async def play(self, guild_id: str, audio: Path) -> Path | None:
        self.started.setdefault(guild_id, time.perf_counter())
        if len(self.started) >= self.expected:
            self.all_started.set()
        return audio


def voice_message(work: Path) -> bytes:
    """SENTENCE spoken by espeak-ng, as an Ogg/Opus voice message."""
    wav = work / "sentence.wav"
    jobs.espeak(SENTENCE, "en-us", str(wav))
    argv = [ffmpeg_executable(), "-loglevel", "error", "-i", str(wav), "-c:a", "libopus"]
    argv += ["-b:a", "32k", "-f", "ogg", "pipe:1"]
    return subprocess.run(argv, check=True, capture_output=True, timeout=60).stdout


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max, in milliseconds."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


async def probes(bot, stop: asyncio.Event) -> tuple[list[float], list[float]]:
    """Loop lag and ``!hi`` latency samples until ``stop`` is set."""
    lags: list[float] = []
    his: list[float] = []

    async def lag() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - started - 0.01)

    async def hi() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await bot.send("!hi", user=PROBE_USER)
            his.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)

    await asyncio.gather(lag(), hi())
    return lags, his


async def run(requests: int, baseline_seconds: float, tts: str) -> int:
    work = Path(tempfile.mkdtemp(prefix="botkit-voice-load-"))
    clip = voice_message(work)
    engine = "whisper" if whisper_model.installed() else "sphinx"
    voice = TimingVoice(expected=requests)
    config = {"voice": {"tts_engine": tts, "stt_engine": engine, "show_transcript": False}}
    plugins = {"voice": botkit_voice, "chat": EchoChat()}
    if tts == "piper":
        import botkit_piper

        plugins["piper"] = botkit_piper
    adapter = RecordingAdapter(voice=voice)
    async with start_harness(plugins, config=config, data_dir=work, adapter=adapter) as bot:
        dm = Channel(id="dm-warm", name="warm", kind=ChannelKind.DM)
        warm = [
            bot.send("", user=User(id=f"w{i}", name="w"), channel=dm, attachments=[note(bot, clip)])
            for i in range(os.cpu_count() or 1)
        ]
        await asyncio.gather(*warm)  # every worker has loaded its model

        stop = asyncio.Event()
        baseline = asyncio.create_task(probes(bot, stop))
        await asyncio.sleep(baseline_seconds)
        stop.set()
        base_lag, base_hi = await baseline

        stop = asyncio.Event()
        loaded = asyncio.create_task(probes(bot, stop))
        began = time.perf_counter()
        says = [say(bot, i) for i in range(requests)]
        heard = [listen(bot, i, clip) for i in range(requests)]
        answers = await asyncio.gather(*says, *heard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(voice.all_started.wait(), 300)
        stop.set()
        load_lag, load_hi = await loaded

    said = [voice.started[f"g{i}"] - began for i in range(requests) if f"g{i}" in voice.started]
    answered = [seconds for text, seconds in answers[requests:] if text.startswith("you said:")]
    refused = [text for text, _ in answers if not text.startswith(("you said:", "🔊"))]
    print(
        f"{requests} !say + {requests} voice messages; speech {tts}, recogniser {engine}; "
        f"{os.cpu_count()} cores"
    )
    print(f"{'':<22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p99/base':>9}")
    rows = [
        ("loop lag, baseline", base_lag, base_lag),
        ("loop lag, under load", load_lag, base_lag),
        ("!hi, baseline", base_hi, base_hi),
        ("!hi, under load", load_hi, base_hi),
    ]
    for name, values, base in rows:
        p50, p99, most = percentiles(values)
        ratio = p99 / percentiles(base)[1]
        print(f"{name:<22} {p50:>8.1f} {p99:>8.1f} {most:>8.1f} {ratio:>9.2f}")
    for name, times in (("spoken (!say)", said), ("answered (voice msg)", answered)):
        if times:
            print(
                f"{name:<22} served {len(times)}/{requests}: "
                f"p50 {statistics.median(times):.2f} s, max {max(times):.2f} s after sending"
            )
        else:
            print(f"{name:<22} served 0/{requests}")
    for text in refused[:5]:
        print(f"not served: {text!r}")
    lag_p99, hi_p99 = percentiles(load_lag)[1], percentiles(load_hi)[1]
    served = len(said) == requests and len(answered) == requests
    print(
        f"targets: loop lag p99 < 50 ms: {lag_p99:.1f} ({'met' if lag_p99 < 50 else 'NOT met'}); "
        f"!hi p99 < 100 ms: {hi_p99:.1f} ({'met' if hi_p99 < 100 else 'NOT met'}); "
        f"every request served: {'yes' if served else 'NO'}"
    )
    return 0


def note(bot, clip: bytes):
    return bot.attachment("voice-message.ogg", clip, "audio/ogg", voice=True)


async def say(bot, i: int) -> tuple[str, float]:
    guild = f"g{i}"
    lounge = Channel(id=f"v{i}", name="Lounge", kind=ChannelKind.VOICE, guild_id=guild)
    user = User(id=f"s{i}", name=f"sayer{i}", voice_channel=lounge)
    channel = Channel(id=f"t{i}", guild_id=guild)
    started = time.perf_counter()
    await bot.send(f"!say {SENTENCE}", user=user, channel=channel)
    return answer_in(bot, channel.id), time.perf_counter() - started


def answer_in(bot, channel_id: str) -> str:
    """What the bot sent in one channel (the harness's replies mix when sends overlap)."""
    return "\n".join(s.text for s in bot.adapter.sent if s.channel_id == channel_id)


async def listen(bot, i: int, clip: bytes) -> tuple[str, float]:
    user = User(id=f"l{i}", name=f"listener{i}")
    channel = Channel(id=f"dm-l{i}", name=user.name, kind=ChannelKind.DM)
    started = time.perf_counter()
    await bot.send("", user=user, channel=channel, attachments=[note(bot, clip)])
    seconds = time.perf_counter() - started
    return answer_in(bot, channel.id), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--baseline-seconds", type=float, default=3.0)
    parser.add_argument("--tts", choices=["espeak", "piper"], default="espeak")
    args = parser.parse_args()
    return asyncio.run(run(args.requests, args.baseline_seconds, args.tts))


if __name__ == "__main__":
    sys.exit(main())
