"""Per-space speech queues: replies are spoken in order, one at a time, then the bot idles out.

Each space (a server, or one person's DMs: ``ctx.space``) has a worker task consuming an
``asyncio.Queue`` of at most ``max_queue`` entries.
After ``idle_seconds`` without anything to say it leaves the voice channel and its entry goes.
Time is read from the plugin's clock; when that clock also has an ``async sleep(seconds)`` (as
test clocks do) the idle timer sleeps through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import attrs

from botkit import Audio, Channel, CommandError, Context, Reply, Voice, VoiceError
from botkit_voice import tts, users
from botkit_voice.errors import Busy, VoiceProblem
from botkit_voice.settings import VoiceSettings

if TYPE_CHECKING:
    from botkit_voice.listen import Session

log = logging.getLogger("botkit.voice")

SHUTDOWN_GRACE = 10.0  # seconds queued speech may still take when the bot stops
ENGINE_KEY = "engine"
LANGUAGE_KEY = "language"
AUTO = "auto"  # Piper when it has a voice here, else espeak: both offline
BUSY_REASON = "I am busy, try again in a moment"


class Bursts:
    """Full queues logged once per burst: the first refusal in a space is logged, later ones
    only counted until that space is served again."""

    def __init__(self) -> None:
        self._refused: dict[str, int] = {}

    def refused(self, space: str, what: str) -> None:
        count = self._refused.get(space, 0)
        self._refused[space] = count + 1
        if count == 0:
            log.warning(
                "%s of %s is full; more speech there is refused until it has room", what, space
            )

    def served(self, space: str) -> None:
        count = self._refused.pop(space, 0)
        if count > 1:
            log.info("speech in %s goes on; %d were refused while it was full", space, count)


@attrs.frozen
class Utterance:
    """Something to say in a guild's voice channel."""

    ctx: Context
    text: str
    channel: Channel | None  # where to speak; None: where the bot already is
    text_posted: bool  # the text is in the chat already, so a failure needs only a note


async def join_channel(voice: Voice, channel: Channel, settings: VoiceSettings) -> None:
    """Join ``channel`` within ``settings.join_timeout`` seconds; CommandError saying why not."""
    try:
        await asyncio.wait_for(voice.join(channel), settings.join_timeout)
    except VoiceError as exc:
        raise CommandError(f"I cannot join voice channels: {exc}") from None
    except TimeoutError:
        raise CommandError("Joining the voice channel timed out; try again.") from None


async def guild_voice(ctx: Context) -> tuple[str, str]:
    """The engine and language chosen for the context's guild (or the configured defaults)."""
    settings: VoiceSettings = ctx.settings
    engine = await ctx.get_setting(ENGINE_KEY, settings.tts_engine)
    language = await ctx.get_setting(LANGUAGE_KEY, settings.language)
    return engine, language


def may_pick(ctx: Context, engine: str) -> bool:
    """Whether the author may speak with ``engine`` of their own choosing here: admins and the
    owner any, members those ``member_engines`` names (and auto, which is offline)."""
    author = ctx.message.author
    settings: VoiceSettings = ctx.settings
    return author.is_admin or author.is_owner or engine in (AUTO, *settings.member_engines)


async def voice_for(ctx: Context) -> tuple[str, str]:
    """The author's own engine and voice (``!voice me``) where they may use it, else the
    space's engine and language."""
    engine, language = await guild_voice(ctx)
    mine = await users.get(ctx.plugin.storage, ctx.message.author.id)
    if mine is None or not may_pick(ctx, mine.engine):
        return engine, language
    return mine.engine, mine.voice or language


async def synthesize(ctx: Context, text: str) -> Audio | None:
    """Speech for ``text`` in the author's voice, from this plugin or the one with the engine.

    When another plugin's engine fails (Piper busy or too slow), espeak-ng speaks instead;
    None when no plugin has the engine.
    """
    engine, language = await voice_for(ctx)
    try:
        audio = await speak_with(ctx, text, engine, language)
    except Busy:
        raise
    except VoiceProblem as exc:
        log.warning("the %s engine could not speak (%s); speaking with espeak instead", engine, exc)
    else:
        ctx.plugin.state.bursts.served(ctx.space)
        return audio
    _, server_language = await guild_voice(ctx)
    return await speak_with(ctx, text, "espeak", server_language)


async def speak_with(ctx: Context, text: str, engine: str, language: str) -> Audio | None:
    """Speech from ``engine``: this plugin's, or another plugin's; auto is Piper when it has
    a voice here (asked without downloading anything), else espeak. Busy when the speech
    workers' queue is full (logged once per burst)."""
    if engine == AUTO:
        try:
            audio = await ctx.plugin.call_first(
                "botkit_synthesize", ctx=ctx, text=text, engine=AUTO, language=language
            )
        except CommandError as exc:
            log.info("auto: piper could not speak (%s); speaking with espeak", exc)
            audio = None
        if audio is not None:
            return audio
        engine = "espeak"
    if engine in tts.ENGINES:
        try:
            return await tts.synthesize(
                ctx.settings, ctx.plugin.data_dir / "voice" / "tmp", engine, text, language
            )
        except Busy:
            ctx.plugin.state.bursts.refused(ctx.space, "the speech workers' queue")
            raise
        except VoiceProblem as exc:
            log.warning("the %s engine could not speak: %s", engine, exc)
            return None
    try:
        return await ctx.plugin.call_first(
            "botkit_synthesize", ctx=ctx, text=text, engine=engine, language=language
        )
    except CommandError as exc:
        raise VoiceProblem(str(exc).rstrip(".")) from None


def wants_channel(ctx: Context, settings: VoiceSettings) -> bool:
    """Whether a reply to this message is to be spoken in a voice channel."""
    voice = ctx.plugin.capabilities.voice
    if voice is None:
        return False
    if ctx.message.author.voice_channel is not None:
        return True
    return settings.speak_when == "always" and voice.is_connected(ctx.guild_id or "")


def speaker_for(ctx: Context) -> GuildSpeaker:
    """The space's speaker, on the voice connection of the message's server ("" outside)."""
    voice = ctx.plugin.capabilities.voice
    assert voice is not None
    return ctx.plugin.state.get(ctx.space, voice, ctx.guild_id or "")


def queue_reply(
    ctx: Context, settings: VoiceSettings, reply: Reply, spoken: str, was_cut: bool
) -> bool | None:
    """Queue the reply to be spoken; True when the text need not be posted as well."""
    queue = speaker_for(ctx)  # wants_channel said there is voice
    if queue.full:
        ctx.plugin.state.bursts.refused(ctx.space, "the speech queue")
        return None
    post_text = settings.also_post_text or was_cut or bool(reply.files)
    channel = ctx.message.author.voice_channel
    queue.put(Utterance(ctx, spoken, channel, text_posted=post_text))
    return None if post_text else True


class GuildSpeaker:
    """One space's queue and the worker that speaks it."""

    def __init__(
        self,
        space: str,
        guild_id: str,
        voice: Voice,
        settings: VoiceSettings,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        on_idle: Callable[[GuildSpeaker], None] = lambda speaker: None,
        on_change: Callable[[], None] = lambda: None,
        stay: Callable[[str], bool] = lambda space: False,
    ) -> None:
        self.space = space  # whose queue: the server, or one person's DMs
        self.guild_id = guild_id  # the voice connection's key
        self.voice = voice
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.queue: asyncio.Queue[Utterance] = asyncio.Queue()
        self.last_active = clock()
        self.task: asyncio.Task[None] | None = None
        self.on_idle = on_idle
        self.on_change = on_change  # the queue grew or shrank (for the queue-depth metric)
        self.playing = False  # sound is going out now (someone speaking over it stops it)
        self.stay = stay  # whether to stay in the channel when silent (listening there)

    def start(self) -> None:
        """Run the worker (again) and restart the idle timer."""
        self.last_active = self.clock()
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._work(), name=f"voice-{self.guild_id}")

    @property
    def full(self) -> bool:
        return self.queue.qsize() >= self.settings.max_queue

    def put(self, utterance: Utterance) -> None:
        utterance.ctx.plugin.state.bursts.served(self.space)
        self.queue.put_nowait(utterance)
        self.on_change()
        self.start()

    async def drain(self) -> None:
        """Wait until everything queued has been spoken (or has failed)."""
        await self.queue.join()

    async def stop(self) -> None:
        """Forget what is queued and stop the worker (speech in progress is cut off)."""
        while not self.queue.empty():
            self.queue.get_nowait()
            self.queue.task_done()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def _work(self) -> None:
        while True:
            utterance = await self._next()
            if utterance is None:
                if not self.stay(self.space) and await self.voice.leave(self.guild_id):
                    idle = self.settings.idle_seconds
                    log.info("left voice in guild %s after %g s of silence", self.guild_id, idle)
                if self.queue.empty():
                    self.on_idle(self)
                    return
                continue
            try:
                await self._speak(utterance)
            except Exception:
                log.exception("speaking in guild %s failed", self.guild_id)
                await self._report(utterance, "speaking failed; the details are in the log")
            finally:
                self.last_active = self.clock()
                self.queue.task_done()

    async def _next(self) -> Utterance | None:
        """The next utterance, or None once the bot has been silent for ``idle_seconds``."""
        utterance = await self._wait()
        self.on_change()
        return utterance

    async def _wait(self) -> Utterance | None:
        if not self.queue.empty():
            return self.queue.get_nowait()
        if self.settings.idle_seconds <= 0:
            return await self.queue.get()
        getter = asyncio.ensure_future(self.queue.get())
        try:
            while not getter.done():
                remaining = self.last_active + self.settings.idle_seconds - self.clock()
                if remaining <= 0:
                    return None
                timer = asyncio.ensure_future(self.sleep(remaining))
                try:
                    await asyncio.wait({getter, timer}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    timer.cancel()
            return getter.result()
        finally:
            if not getter.done():
                getter.cancel()

    async def _speak(self, utterance: Utterance) -> None:
        settings = self.settings
        channel = utterance.channel or self.voice.channel(self.guild_id)
        if channel is None:
            await self._report(utterance, "I am not in a voice channel any more")
            return
        current = self.voice.channel(self.guild_id)
        if current is None or current.id != channel.id:
            try:
                await asyncio.wait_for(self.voice.join(channel), settings.join_timeout)
            except VoiceError as exc:
                await self._report(utterance, str(exc))
                return
            except TimeoutError:
                await self._report(utterance, f"joining {channel.name or 'the channel'} timed out")
                return
        try:
            audio = await synthesize(utterance.ctx, utterance.text)
        except Busy:
            await self._report(utterance, BUSY_REASON)
            return
        if audio is None:
            await self._report(utterance, "no text-to-speech engine could speak it")
            return
        self.playing = True
        try:
            await asyncio.wait_for(
                self.voice.play(self.guild_id, audio.path), settings.play_timeout
            )
        except VoiceError as exc:
            await self._report(utterance, str(exc))
        except TimeoutError:
            log.warning("playing in guild %s took over %g s", self.guild_id, settings.play_timeout)
        finally:
            self.playing = False
            await tts.remove(audio.path)

    async def _report(self, utterance: Utterance, reason: str) -> None:
        """Tell the channel speaking failed; post the text when it is not there yet."""
        log.warning("could not speak in guild %s: %s", self.guild_id, reason)
        if utterance.text_posted:
            note = f"(I could not say that aloud: {reason}.)"
        else:
            note = f"(I could not say this aloud: {reason}.)\n{utterance.text}"
        try:
            await utterance.ctx.send(note)
        except Exception:
            log.exception("could not post to channel %s either", utterance.ctx.message.channel.id)


class Speakers:
    """All speakers of one bot, by space, and their full-queue log (the plugin's state)."""

    def __init__(
        self,
        settings: VoiceSettings,
        clock: Callable[[], float],
        on_depth: Callable[[int], None] = lambda depth: None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.on_depth = on_depth  # utterances waiting in every guild, after each change
        self.guilds: dict[str, GuildSpeaker] = {}  # by space
        self.sessions: dict[str, Session] = {}  # !listen, by space
        self.bursts = Bursts()

    def get(self, space: str, voice: Voice, guild_id: str) -> GuildSpeaker:
        """The speaker of ``space``, speaking on the voice connection of ``guild_id``."""
        speaker = self.guilds.get(space)
        if speaker is None:
            sleep = getattr(self.clock, "sleep", asyncio.sleep)
            speaker = GuildSpeaker(
                space,
                guild_id,
                voice,
                self.settings,
                self.clock,
                sleep,
                on_idle=self._forget,
                on_change=self._report,
                stay=lambda space: space in self.sessions,
            )
            self.guilds[space] = speaker
        return speaker

    def _report(self) -> None:
        self.on_depth(sum(speaker.queue.qsize() for speaker in self.guilds.values()))

    def _forget(self, speaker: GuildSpeaker) -> None:
        """A guild that went quiet and left its channel keeps nothing in memory."""
        if self.guilds.get(speaker.space) is speaker and speaker.queue.empty():
            del self.guilds[speaker.space]

    def playing(self, space: str) -> bool:
        """Whether the bot is speaking in this space's voice channel now."""
        speaker = self.guilds.get(space)
        return speaker is not None and speaker.playing

    async def close(self) -> None:
        """Stop listening; finish what is queued (for a few seconds at most), then stop and
        leave everywhere."""
        for session in list(self.sessions.values()):
            await session.stop(None)
        drains = [speaker.drain() for speaker in self.guilds.values()]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*drains), SHUTDOWN_GRACE)
        for speaker in list(self.guilds.values()):
            await speaker.stop()
            with contextlib.suppress(Exception):
                await speaker.voice.leave(speaker.guild_id)
        self.guilds.clear()
