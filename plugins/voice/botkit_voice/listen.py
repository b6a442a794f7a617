"""!listen: hear people in a voice channel turn by turn, and answer each turn aloud.

A :class:`Session` per space takes the sound a hearing Voice hands it (16 kHz mono PCM per
speaker), drops at once the sound of anyone not heard (only those who said ``!listen``, or
everyone when the owner set ``listen = "everyone"``), cuts each heard person's sound into
turns (:mod:`botkit_voice.turns`), transcribes the turns in the speech worker pool (at most
``max_listeners`` speakers at once) and hands each transcript to the host as that person's
message in the text channel where ``!listen`` was said (``plugin.hear``): the normal answer
pipeline answers it, and the voice plugin's deliver hook speaks the answer. When someone heard
starts speaking while the bot talks, the playback is stopped (barge-in).

The end of a turn is checked every 20 ms frame. To answer sooner, recognition starts early:
once a speaker has been silent for ``GUESS_MS`` (less than ``end_of_turn_ms``), the turn so far
is transcribed in the pool, but only when a worker is free and fewer than ``max_listeners``
are being transcribed, so a guess never makes the bot refuse anyone. When the turn then ends
with no new speech its sound is the same, and the guess is its transcript; when speech resumes
the guess is ignored (left to finish: cancelling would kill the worker and its loaded model).

``!listen`` with a recording attached runs the same turns, transcription and answers on it.
Sound is never written to disk unless ``keep_recordings`` is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from botkit import Attachment, Channel, CommandError, Context, Message, User, VoiceError
from botkit_voice import recordings, stt, turns
from botkit_voice.errors import VoiceProblem
from botkit_voice.settings import VoiceSettings
from botkit_voice.speaker import guild_voice, join_channel

log = logging.getLogger("botkit.voice")

TICK = turns.FRAME_MS / 1000  # seconds between checks for silence, idleness, an empty channel
GUESS_MS = 300  # silence after which a turn is transcribed before it is known to be over
BUSY = "I am busy listening to others and missed what {name} said; please say it again soon."
_numbers = itertools.count(1)


def spoken_id() -> str:
    """An id for a heard turn that was not posted as a transcript."""
    return f"voice-{next(_numbers)}"


async def transcribe(ctx: Context, settings: VoiceSettings, pcm: bytes) -> str:
    """The words of one turn, in the server's language."""
    _, language = await guild_voice(ctx)
    return " ".join((await stt.recognise(settings, ctx.plugin.data_dir, pcm, language)).split())


async def answer_turn(
    ctx: Context,
    settings: VoiceSettings,
    user: User,
    voice_channel: Channel | None,
    pcm: bytes,
    guess: Awaitable[str] | None = None,
) -> bool:
    """Transcribe one turn (or take ``guess``, its transcript begun early), post the
    transcript, have it answered as ``user``'s message.

    False when no words were made out. VoiceProblem when recognition failed or was refused.
    """
    if settings.keep_recordings:
        await asyncio.to_thread(recordings.keep, ctx.plugin.data_dir, ctx.space, user.id, pcm)
    text = await guess if guess is not None else await transcribe(ctx, settings, pcm)
    if not text:
        log.info("heard no words in a %.1f s turn of user %s", len(pcm) / 32000, user.id)
        return False
    message_id = spoken_id()
    if settings.post_transcripts:
        posted = await ctx.send(f"🎙️ {user.name}: {text}")
        message_id = posted[0].id if posted else message_id
    author = attrs.evolve(user, voice_channel=voice_channel)
    message = Message(
        id=message_id,
        content=text,
        author=author,
        channel=ctx.message.channel,
        created_at=ctx.plugin.now(),
        spoken=True,
    )
    await ctx.plugin.hear(message)
    return True


@attrs.define
class Guess:
    """A turn's transcript begun before the turn was known to be over."""

    pcm: bytes  # the turn so far
    voiced: int  # its voiced frames then: more means the speaker went on
    text: asyncio.Task[str]


def _retrieve(task: asyncio.Task[str]) -> None:
    """Take an ignored guess's failure, so it is not reported as never retrieved."""
    if not task.cancelled() and task.exception() is not None:
        log.debug("an early transcript failed: %s", task.exception())


class Session:
    """Listening in one space's voice channel, started by ``!listen`` in a text channel."""

    def __init__(
        self,
        ctx: Context,
        voice: Any,
        voice_channel: Channel,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.ctx = ctx  # the !listen that started it: where transcripts and notices go
        self.settings: VoiceSettings = ctx.settings
        self.space = ctx.space
        self.guild_id = ctx.guild_id or ""
        self.voice = voice
        self.voice_channel = voice_channel
        self.clock = clock
        self.sleep = sleep
        self.everyone = self.settings.listen == "everyone"
        self.heard: dict[str, str] = {}  # who opted in: id -> name
        self.users: dict[str, User] = {}
        self.turns: dict[str, turns.Turns] = {}
        self.last_sound: dict[str, float] = {}
        self.queues: dict[str, asyncio.Queue[tuple[bytes, Guess | None]]] = {}  # speakers
        self.guesses: dict[str, Guess] = {}  # transcripts begun early, per speaker
        self.used_guesses = 0  # turns whose early transcript was theirs
        self.ignored_guesses = 0  # speech went on after them
        self.tasks: set[asyncio.Task[Any]] = set()
        self.last_heard = clock()
        self.busy_told = False
        self.stopped = False
        self.ticker: asyncio.Task[None] | None = None

    def hears(self, user_id: str) -> bool:
        """Whether ``user_id`` is heard; the adapter asks before it decrypts their sound
        (maybe off the event loop: this only reads)."""
        return self.everyone or user_id in self.heard

    def opt_in(self, user: User) -> None:
        self.heard[user.id] = user.name

    def notice(self) -> str:
        """Who is heard where, what is kept, how to stop."""
        p = self.ctx.plugin.prefix
        where = self.voice_channel.name or "the voice channel"
        if self.everyone:
            who = f"everyone in {where}"
        else:
            names = ", ".join(self.heard.values())
            who = f"only those who said {p}listen: {names}"
        if self.settings.keep_recordings:
            kept = f"what I hear is kept as recordings ({p}forgetme deletes yours)"
        else:
            kept = "sound is never recorded"
        return (
            f"🎙️ Listening in {where}. I hear {who}; {kept}. `{p}listen stop` or `{p}leave` ends it."
        )

    # --- sound from the adapter, on the event loop: quick ---

    def sound(self, user: User, pcm: bytes) -> None:
        """Some of what ``user`` said; the sound of anyone not heard is dropped here."""
        if self.stopped or user.is_bot or not self.hears(user.id):
            return
        detector = self.turns.get(user.id)
        if detector is None:
            detector = self.turns[user.id] = turns.Turns(
                self.settings.end_of_turn_ms, self.settings.max_utterance_seconds
            )
        self.users[user.id] = user
        self.last_sound[user.id] = self.clock()
        was_speaking = detector.speaking
        for turn in detector.feed(pcm):
            self.turn(user, turn)
        guess = self.guesses.get(user.id)
        if guess is not None and detector.voiced_frames != guess.voiced:
            self.ignore_guess(user.id)  # they went on speaking
        if detector.speaking and not was_speaking:
            self.barge_in(user)

    def barge_in(self, user: User) -> None:
        """Someone heard started speaking: stop the bot's own speech."""
        if not self.ctx.plugin.state.playing(self.space):
            return
        interrupt = getattr(self.voice, "interrupt", None)
        if interrupt is not None and interrupt(self.guild_id):
            log.info(
                "user %s spoke over the bot in %s; its speech was stopped", user.id, self.space
            )

    def guess(self, user_id: str, detector: turns.Turns) -> None:
        """Begin transcribing a turn that may be over, if it costs nobody a worker."""
        if len(self.queues) + len(self.guesses) >= self.settings.max_listeners:
            return
        if not stt.spare_worker(self.settings):
            return
        pcm = detector.so_far()
        if pcm is None:
            return
        text = asyncio.ensure_future(transcribe(self.ctx, self.settings, pcm))
        text.add_done_callback(_retrieve)
        self.tasks.add(text)
        text.add_done_callback(self.tasks.discard)
        self.guesses[user_id] = Guess(pcm, detector.voiced_frames, text)

    def ignore_guess(self, user_id: str) -> None:
        """The guess of ``user_id``'s turn is not its transcript; let it finish unused."""
        if self.guesses.pop(user_id, None) is not None:
            self.ignored_guesses += 1

    def turn(self, user: User, pcm: bytes) -> None:
        """A finished turn: queue it for its speaker, unless too many are heard at once."""
        self.last_heard = self.clock()
        guess = self.guesses.pop(user.id, None)
        if guess is not None and guess.pcm != pcm:
            self.ignored_guesses += 1
            guess = None
        elif guess is not None:
            self.used_guesses += 1
        queue = self.queues.get(user.id)
        if queue is None:
            if len(self.queues) >= self.settings.max_listeners:
                self.busy(user, f"{len(self.queues)} speakers are being transcribed")
                return
            queue = self.queues[user.id] = asyncio.Queue()
            self._spawn(self._work(user.id, queue))
        if queue.qsize() >= self.settings.max_queue:
            self.busy(user, f"{queue.qsize()} turns of theirs are waiting")
            return
        queue.put_nowait((pcm, guess))

    def busy(self, user: User, why: str) -> None:
        """Say once (until someone is heard again) that a turn was missed."""
        log.warning("missed a turn of user %s in %s: %s", user.id, self.space, why)
        if self.busy_told:
            return
        self.busy_told = True
        self._spawn(self._post(BUSY.format(name=user.name)))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _post(self, text: str) -> None:
        try:
            await self.ctx.send(text)
        except Exception:
            log.exception("could not post in channel %s", self.ctx.message.channel.id)

    async def _work(self, user_id: str, queue: asyncio.Queue[tuple[bytes, Guess | None]]) -> None:
        """Answer one speaker's turns in order; ends when none are left."""
        try:
            while not queue.empty():
                pcm, guess = queue.get_nowait()
                user = self.users[user_id]
                text = guess.text if guess is not None else None
                try:
                    if await answer_turn(
                        self.ctx, self.settings, user, self.voice_channel, pcm, text
                    ):
                        self.busy_told = False
                except VoiceProblem as exc:
                    if str(exc) == stt.BUSY:
                        self.busy(user, "the speech workers are busy")
                    else:
                        await self._post(f"I could not make out what {user.name} said: {exc}")
                except Exception:
                    log.exception("answering a turn of user %s in %s failed", user_id, self.space)
        finally:
            self.queues.pop(user_id, None)

    # --- the clock: silence, idleness, an empty channel ---

    def start(self) -> None:
        self.ticker = asyncio.create_task(self._tick(), name=f"listen-{self.space}")

    async def _tick(self) -> None:
        while not self.stopped:
            await self.sleep(TICK)
            now = self.clock()
            for user_id, detector in list(self.turns.items()):
                if not detector.speaking:
                    continue
                silent = (now - self.last_sound[user_id]) * 1000
                if silent >= self.settings.end_of_turn_ms:
                    turn = detector.end()  # the sound stopped coming: the turn is over
                    if turn is not None:
                        self.turn(self.users[user_id], turn)
                    else:
                        self.ignore_guess(user_id)
                elif (
                    user_id not in self.guesses
                    and self.settings.end_of_turn_ms > GUESS_MS
                    and silent + detector.silent_ms >= GUESS_MS
                ):
                    self.guess(user_id, detector)
            reason = self.reason_to_stop(now)
            if reason is not None:
                await self.stop(reason)

    def reason_to_stop(self, now: float) -> str | None:
        where = self.voice_channel.name or "the voice channel"
        if not self.voice.is_connected(self.guild_id):
            return f"I am not in {where} any more"
        members = getattr(self.voice, "members", None)
        if members is not None and not members(self.guild_id):
            return f"everyone left {where}"
        minutes = self.settings.listen_idle_minutes
        if minutes > 0 and now - self.last_heard >= minutes * 60:
            return f"nobody spoke to me for {minutes:g} minutes"
        return None

    async def stop(self, reason: str | None) -> None:
        """Stop hearing; say why when ``reason`` is given."""
        if self.stopped:
            return
        self.stopped = True
        sessions = self.ctx.plugin.state.sessions
        if sessions.get(self.space) is self:
            del sessions[self.space]
        try:
            await self.voice.listen(self.guild_id, None)
        except Exception:
            log.exception("could not stop hearing in %s", self.space)
        current = asyncio.current_task()
        for task in [self.ticker, *self.tasks]:
            if task is not None and task is not current:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.turns.clear()
        self.queues.clear()
        self.guesses.clear()
        log.info("stopped listening in %s: %s", self.space, reason or "asked to")
        if reason is not None:
            await self._post(f"🎙️ I stopped listening: {reason}.")


# --- the commands ---


async def listen(ctx: Context, recording: Attachment | None = None) -> str | None:
    """Listen in your voice channel and answer what you say aloud (or a recording you attach)."""
    if recording is not None:
        return await listen_to(ctx, recording)
    voice = ctx.plugin.capabilities.voice
    if voice is None or not hasattr(voice, "listen"):
        raise CommandError(
            f"I cannot hear voice channels on this platform; attach a recording instead: "
            f"`{ctx.plugin.prefix}listen` with an audio file."
        )
    if ctx.guild_id is None:
        raise CommandError("I listen in a server's voice channels; say this in a server.")
    author = ctx.message.author
    state = ctx.plugin.state
    session: Session | None = state.sessions.get(ctx.space)
    if session is not None:
        if session.hears(author.id):
            return f"I hear you already. {session.notice()}"
        session.opt_in(author)
        log.info("user %s asked to be heard in %s", author.id, ctx.space)
        return session.notice()
    settings: VoiceSettings = ctx.settings
    channel = voice.channel(ctx.guild_id) or author.voice_channel
    if channel is None:
        raise CommandError(f"Join a voice channel first, then say {ctx.plugin.prefix}listen.")
    if not voice.is_connected(ctx.guild_id):
        await join_channel(voice, channel, settings)
    sleep = getattr(ctx.plugin.clock, "sleep", asyncio.sleep)
    session = Session(ctx, voice, channel, ctx.plugin.clock, sleep)
    if not session.everyone:
        session.opt_in(author)
    try:
        await voice.listen(ctx.guild_id, session.sound, session.hears)
    except VoiceError as exc:
        raise CommandError(f"I cannot listen here: {exc}") from None
    state.sessions[ctx.space] = session
    session.start()
    log.info("listening in %s, voice channel %s", ctx.space, channel.id)
    return session.notice()


async def listen_stop(ctx: Context) -> str:
    """Stop listening in the voice channel."""
    session: Session | None = ctx.plugin.state.sessions.get(ctx.space)
    if session is None:
        return "I am not listening here."
    await session.stop(None)
    return "🎙️ I stopped listening."


async def listen_to(ctx: Context, recording: Attachment) -> str:
    """``!listen`` with a recording: its turns, each transcribed and answered in order."""
    settings: VoiceSettings = ctx.settings
    if not recording.is_audio:
        raise CommandError(
            f"{recording.filename} is not audio; attach a recording (WAV, OGG, MP3...)."
        )
    try:
        pcm = await stt.read_pcm(settings, ctx.plugin.data_dir, recording)
    except VoiceProblem as exc:
        raise CommandError(str(exc)) from None
    found = await asyncio.to_thread(
        turns.split, pcm, settings.end_of_turn_ms, settings.max_utterance_seconds
    )
    author = ctx.message.author
    answered = 0
    for turn in found:
        try:
            answered += await answer_turn(ctx, settings, author, author.voice_channel, turn)
        except VoiceProblem as exc:
            raise CommandError(f"I stopped listening to {recording.filename}: {exc}") from None
    log.info("heard %d of %d turns in a recording of user %s", answered, len(found), author.id)
    if not found:
        return f"🎙️ I heard no speech in {recording.filename}."
    return f"🎙️ End of {recording.filename}: {answered} of {len(found)} turns understood."
