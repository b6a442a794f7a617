"""!join, !leave, !say, !voice and !voice me."""

from __future__ import annotations

import asyncio
import logging

from botkit import (
    Command,
    CommandError,
    Context,
    Cooldown,
    Permission,
    Reply,
    Voice,
    command,
)
from botkit_voice import engines, listen, notes, tts, users
from botkit_voice.errors import Busy, VoiceProblem
from botkit_voice.settings import VoiceSettings
from botkit_voice.speaker import (
    AUTO,
    ENGINE_KEY,
    LANGUAGE_KEY,
    Utterance,
    guild_voice,
    join_channel,
    may_pick,
    speak_with,
    speaker_for,
)
from botkit_voice.speech_text import cut, speakable

log = logging.getLogger("botkit.voice")

PROBE_TEXT = "test"
SPEAK_WHEN = {
    "in_voice": "when you are in a voice channel",
    "always": "when you are in a voice channel or I already am",
    "never": "never (only !say)",
    "voice": "when you are in a voice channel, and as a voice message to a voice message",
}
# Engines other distributions add, and the package that brings each.
ENGINE_PACKAGES = {"piper": "botkit-piper"}
SAY_COOLDOWN = Cooldown(rate=3, per=30.0, bucket="user")


def guild_key(ctx: Context) -> str:
    """The server id the voice connection is kept under ("" outside servers)."""
    return ctx.guild_id or ""


def require_voice(ctx: Context) -> Voice:
    voice = ctx.plugin.capabilities.voice
    if voice is None:
        raise CommandError("This chat platform has no voice channels, so I cannot speak here.")
    return voice


async def join(ctx: Context) -> str:
    """Join your voice channel."""
    voice = require_voice(ctx)
    settings: VoiceSettings = ctx.settings
    channel = ctx.message.author.voice_channel
    if channel is None:
        raise CommandError("You are not in a voice channel. Join one, then try again.")
    await join_channel(voice, channel, settings)
    speaker_for(ctx).start()
    return f"Joined {channel.name or 'your voice channel'}."


async def leave(ctx: Context) -> str:
    """Leave the voice channel (and forget what was still to be said)."""
    voice = require_voice(ctx)
    session = ctx.plugin.state.sessions.get(ctx.space)
    if session is not None:
        await session.stop(None)
    speaker = ctx.plugin.state.guilds.get(ctx.space)
    if speaker is not None:
        await speaker.stop()
    if await voice.leave(guild_key(ctx)):
        return "Disconnected from the voice channel."
    return "I am not in a voice channel."


async def say(ctx: Context, *, text: str) -> str | Reply:
    """Say something aloud in your voice channel (or as a voice message)."""
    settings: VoiceSettings = ctx.settings
    if ctx.plugin.capabilities.voice is None and ctx.plugin.capabilities.voice_notes:
        return await say_as_note(ctx, settings, text)
    voice = require_voice(ctx)
    channel = ctx.message.author.voice_channel or voice.channel(guild_key(ctx))
    if channel is None:
        raise CommandError(
            f"Join a voice channel first (or use {ctx.plugin.prefix}join), then try again."
        )
    spoken, was_cut = cut(speakable(text), settings.max_speech_chars)
    if not spoken:
        raise CommandError("There are no words to say in that text.")
    queue = speaker_for(ctx)
    if queue.full:
        ctx.plugin.state.bursts.refused(ctx.space, "the speech queue")
        raise CommandError("I have too much to say already; try again in a moment.")
    queue.put(Utterance(ctx, spoken, channel, text_posted=True))
    note = f" (cut to {settings.max_speech_chars} characters)" if was_cut else ""
    return f"🔊 Saying it in {channel.name or 'the voice channel'}{note}."


async def say_as_note(ctx: Context, settings: VoiceSettings, text: str) -> Reply:
    """``!say`` where there are voice messages but no voice channels."""
    spoken, _ = cut(speakable(text), settings.max_speech_chars)
    if not spoken:
        raise CommandError("There are no words to say in that text.")
    try:
        note = await notes.voice_note(ctx, settings, spoken)
    except Busy as exc:
        raise CommandError(str(exc)) from None
    except VoiceProblem as exc:
        raise CommandError(f"I could not say that: {exc}.") from None
    if note is None:
        raise CommandError("I could not say that: no text-to-speech engine could speak it.")
    return Reply(files=(note,))


async def voice(ctx: Context) -> str:
    """Show the voice engine and language used here."""
    settings: VoiceSettings = ctx.settings
    engine, language = await guild_voice(ctx)
    p = ctx.plugin.prefix
    return "\n".join(
        [
            f"Voice here: engine **{engine}**, language **{language}**.",
            f"Replies are spoken {SPEAK_WHEN[settings.speak_when]}; "
            f"speech-to-text uses {engines.chosen_stt(settings)}.",
            f"Engines: {AUTO}, {', '.join(tts.ENGINES)} (plugins may add more); members may "
            f"pick {', '.join((AUTO, *settings.member_engines))} for themselves.",
            f"Admins can change them: `{p}voice engine <name>`, `{p}voice language <code>`; "
            f"your own voice everywhere: `{p}voice me <engine> [voice or language]`.",
        ]
    )


async def voice_engine(ctx: Context, name: str) -> str:
    """Choose the text-to-speech engine for this server."""
    name = name.lower()
    problem = await engine_problem(ctx, name)
    if problem is not None:
        raise CommandError(problem)
    await ctx.set_setting(ENGINE_KEY, name)
    log.info("voice engine of guild %s set to %s", ctx.guild_id, name)
    return f"Voice engine set to {name}."


async def engine_problem(ctx: Context, name: str, language: str | None = None) -> str | None:
    """Why ``name`` cannot speak here, or None; engines of other plugins are tried out."""
    if name == AUTO:
        name = "espeak"  # what auto falls back to
    if name in tts.ENGINES:
        problem = (await asyncio.to_thread(engines.tts_problems, ctx.settings))[name]
        if name == "gtts" or problem is None:
            return None
        return f"The {name} engine cannot work here: {problem.reason}."
    if language is None:
        _, language = await guild_voice(ctx)
    try:
        audio = await speak_with(ctx, PROBE_TEXT, name, language)
    except VoiceProblem as exc:
        return f"The {name} engine cannot speak here: {exc}."
    if audio is None:
        package = ENGINE_PACKAGES.get(name)
        if package is not None and name in ctx.plugin.implements("botkit_synthesize"):
            switch = f"{ctx.plugin.prefix}plugin enable {name}"
            return f"The {name} plugin is switched off here; an admin can switch it on: `{switch}`."
        if package is not None:
            return f"The {name} engine needs the {package} package: pip install {package}"
        known = ", ".join(tts.ENGINES)
        return f"No installed plugin speaks with an engine called {name!r}. Try one of: {known}."
    await tts.remove(audio.path)
    return None


async def voice_language(ctx: Context, code: str) -> str:
    """Choose the speech language for this server (a code like en, ru, pt-BR)."""
    problem = await asyncio.to_thread(engines.language_problem, code)
    if problem is not None:
        raise CommandError(problem)
    await ctx.set_setting(LANGUAGE_KEY, code)
    log.info("voice language of guild %s set to %s", ctx.guild_id, code)
    return f"Voice language set to {code}."


async def voice_me(ctx: Context, engine: str, voice: str = "") -> str:
    """Choose your own voice, used for what is said to you in every server (reset: back)."""
    storage = ctx.plugin.storage
    name = engine.lower()
    if name == "reset":
        gone = await users.forget(storage, ctx.message.author.id)
        return "Your voice is the server's again." if gone else "You had no voice of your own."
    if voice and not engines.VOICE_CHOICE.match(voice):
        raise CommandError(
            f"{voice!r} is neither a language code (en, pt-BR) nor a voice name "
            "(en_US-lessac-medium); try again with one."
        )
    if voice and name in tts.ENGINES:
        problem = await asyncio.to_thread(engines.language_problem, voice)
        if problem is not None:
            raise CommandError(problem)
    if not may_pick(ctx, name):
        allowed = ", ".join((AUTO, *ctx.settings.member_engines))
        log.info(
            "user %s may not pick the voice engine %s in %s", ctx.message.author.id, name, ctx.space
        )
        raise CommandError(
            f"Members may pick only these voice engines here: {allowed}. "
            f"The {name} engine is for the server's admins to choose."
        )
    problem = await engine_problem(ctx, name, voice or None)
    if problem is not None:
        raise CommandError(problem)
    await users.put(storage, ctx.message.author.id, users.UserVoice(name, voice))
    log.info("user %s chose the voice %s %s", ctx.message.author.id, name, voice)
    return f"Your voice: {name}{', ' + voice if voice else ''} (in every server)."


def all_commands() -> list[Command]:
    return [
        command(join),
        command(leave),
        command(
            listen.listen,
            param_help={"recording": "a recording to hear instead of the voice channel"},
        ),
        command(listen.listen_stop, name="listen stop"),
        command(say, param_help={"text": "what to say"}, cooldown=SAY_COOLDOWN),
        command(voice),
        command(
            voice_engine,
            name="voice engine",
            permission=Permission.ADMIN,
            param_help={"name": f"{AUTO}, {', '.join(tts.ENGINES)} or one a plugin adds"},
        ),
        command(
            voice_language,
            name="voice language",
            permission=Permission.ADMIN,
            param_help={"code": "a language code like en, ru, de, pt-BR"},
        ),
        command(
            voice_me,
            name="voice me",
            param_help={
                "engine": f"{AUTO}, {', '.join(tts.ENGINES)}, one a plugin adds, or reset",
                "voice": "a language code (en, de) or the engine's voice name",
            },
        ),
    ]
