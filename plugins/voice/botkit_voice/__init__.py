"""botkit-voice: spoken replies in voice channels and transcribed voice messages.

The package module is the plugin: it carries the hook implementations.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from botkit import Attachment, Audio, Command, CommandError, Context, Problem, Reply, hookimpl
from botkit_voice import commands, health, speaker, stt, tts
from botkit_voice.errors import VoiceProblem
from botkit_voice.settings import VoiceSettings
from botkit_voice.speech_text import cut, speakable

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.voice")

STALE_SECONDS = 3600.0


def work_dir(bot: Bot) -> Path:
    """Where synthesised speech and attachments being converted are kept for a moment."""
    return bot.config.data_dir / "voice" / "tmp"


def voice_settings(bot: Bot) -> VoiceSettings:
    """This plugin's settings, whatever name it was registered under."""
    found = (s for s in bot.settings.values() if isinstance(s, VoiceSettings))
    return next(found, VoiceSettings())


@hookimpl
def botkit_settings() -> type:
    return VoiceSettings


@hookimpl
def botkit_commands() -> list[Command]:
    return commands.all_commands()


@hookimpl
async def botkit_startup(bot: Bot) -> None:
    """Remove speech files a crashed run left behind (old ones only: shards share the dir)."""
    await asyncio.to_thread(tts.remove_stale, work_dir(bot), STALE_SECONDS)


@hookimpl
async def botkit_shutdown(bot: Bot) -> None:
    await speaker.close(bot)


@hookimpl
async def botkit_deliver(ctx: Context, reply: Reply) -> bool | None:
    """Queue the reply to be spoken; True when the text need not be posted as well."""
    settings: VoiceSettings = ctx.settings
    voice = ctx.adapter.voice
    if settings.speak_when == "never" or voice is None:
        return None
    guild = commands.guild_key(ctx)
    channel = ctx.message.author.voice_channel
    if channel is None and not (settings.speak_when == "always" and voice.is_connected(guild)):
        return None
    spoken, was_cut = cut(speakable(reply.text), settings.max_speech_chars)
    queue = speaker.speakers(ctx.bot, settings).get(guild, voice)
    if not spoken:
        return None
    if queue.full:
        log.warning("voice queue of guild %s is full; reply %s not spoken", guild, ctx.message.id)
        return None
    post_text = settings.also_post_text or was_cut or bool(reply.files)
    queue.put(speaker.Utterance(ctx, spoken, channel, text_posted=post_text))
    return None if post_text else True


@hookimpl
async def botkit_synthesize(ctx: Context, text: str, engine: str, language: str) -> Audio | None:
    """Speech from the gtts, espeak or openai engine; None for other engines' names."""
    if engine not in tts.ENGINES:
        return None
    try:
        return await tts.synthesize(ctx.settings, work_dir(ctx.bot), engine, text, language)
    except VoiceProblem as exc:
        log.warning("the %s engine could not speak: %s", engine, exc)
        return None


@hookimpl
async def botkit_transcribe(ctx: Context, attachment: Attachment) -> str | None:
    """The words in an audio attachment or voice message; problems are answered clearly."""
    settings: VoiceSettings = ctx.settings
    if not attachment.is_audio:
        return None
    _, language = await speaker.guild_voice(ctx)
    try:
        text = await stt.transcribe(settings, ctx.bot.config.data_dir, attachment, language)
    except VoiceProblem as exc:
        log.info(
            "could not transcribe %s from user %s: %s",
            attachment.filename,
            ctx.message.author.id,
            exc,
        )
        raise CommandError(str(exc)) from None
    if text and settings.show_transcript:
        await ctx.reply(f"🎤 {text}")
    return text


@hookimpl
async def botkit_health(bot: Bot) -> list[Problem]:
    return await asyncio.to_thread(health.problems, voice_settings(bot), bot.config.data_dir)
