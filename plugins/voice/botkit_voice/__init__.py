"""botkit-voice: spoken replies in voice channels, voice messages heard and answered in kind.

The package module is the plugin: it carries the hook implementations. It imports no engine
(gTTS, SpeechRecognition, openai, faster-whisper): each is imported when first used.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from botkit import (
    Attachment,
    Audio,
    Command,
    CommandError,
    Context,
    PluginHandle,
    Problem,
    Reply,
    hookimpl,
)
from botkit_voice import commands, health, notes, recordings, speaker, stt, tts, users
from botkit_voice.errors import VoiceProblem
from botkit_voice.settings import VoiceSettings
from botkit_voice.speech_text import cut, speakable

if TYPE_CHECKING:
    from sqlalchemy import MetaData

log = logging.getLogger("botkit.voice")

STALE_SECONDS = 3600.0


def work_dir(data_dir: Path) -> Path:
    """Where synthesised speech and attachments being converted are kept for a moment."""
    return data_dir / "voice" / "tmp"


def settings_of(plugin: PluginHandle) -> VoiceSettings:
    return plugin.settings or VoiceSettings()


@hookimpl
def botkit_settings() -> type:
    return VoiceSettings


@hookimpl
def botkit_commands() -> list[Command]:
    return commands.all_commands()


@hookimpl
def botkit_tables() -> MetaData:
    """The voice plugin's table (SQLAlchemy is imported only when the host asks for it)."""
    from botkit_voice.tables import metadata

    return metadata


@hookimpl
def botkit_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
async def botkit_startup(plugin: PluginHandle) -> None:
    """Set up the speakers; remove speech files a crashed run left (old ones: shards share)."""
    plugin.state = speaker.Speakers(
        settings_of(plugin), plugin.clock, lambda depth: plugin.set_queue_depth(depth, "speech")
    )
    await asyncio.to_thread(tts.remove_stale, work_dir(plugin.data_dir), STALE_SECONDS)


@hookimpl
async def botkit_shutdown(plugin: PluginHandle) -> None:
    if plugin.state is not None:
        await plugin.state.close()


@hookimpl
async def botkit_deliver(ctx: Context, reply: Reply) -> Reply | bool | None:
    """Speak the reply in a voice channel, or answer with a voice message, as speak_when says.

    True when the text need not be posted as well; a Reply carrying a voice message to send
    instead of the text reply; None to leave the reply as it is.
    """
    settings: VoiceSettings = ctx.settings
    if settings.speak_when == "never":
        return None
    spoken, was_cut = cut(speakable(reply.text), settings.max_speech_chars)
    if not spoken:
        return None
    if speaker.wants_channel(ctx, settings):
        return speaker.queue_reply(ctx, settings, reply, spoken, was_cut)
    if notes.wanted(ctx, settings):
        return await notes.answer(ctx, settings, reply, spoken, was_cut)
    return None


@hookimpl
async def botkit_synthesize(ctx: Context, text: str, engine: str, language: str) -> Audio | None:
    """Speech from the auto, gtts, espeak or openai engine; None for other engines' names."""
    if engine == speaker.AUTO:
        try:
            return await speaker.speak_with(ctx, text, engine, language)
        except VoiceProblem as exc:
            log.warning("the %s engine could not speak: %s", engine, exc)
            return None
    if engine not in tts.ENGINES:
        return None
    try:
        return await tts.synthesize(
            ctx.settings, work_dir(ctx.plugin.data_dir), engine, text, language
        )
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
        text = await stt.transcribe(settings, ctx.plugin.data_dir, attachment, language)
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
async def botkit_user_data(plugin: PluginHandle, user_id: str) -> dict[str, int] | None:
    counts = {
        "voice choice": await users.count(plugin.storage, user_id),
        "voice recording": await asyncio.to_thread(recordings.count, plugin.data_dir, user_id),
    }
    return {kind: n for kind, n in counts.items() if n} or None


@hookimpl
async def botkit_delete_user_data(plugin: PluginHandle, user_id: str) -> int:
    gone = await asyncio.to_thread(recordings.forget, plugin.data_dir, user_id)
    return gone + await users.forget(plugin.storage, user_id)


@hookimpl
async def botkit_health(plugin: PluginHandle) -> list[Problem]:
    return await asyncio.to_thread(health.problems, settings_of(plugin), plugin.data_dir)
