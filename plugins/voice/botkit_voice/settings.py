"""The ``[voice]`` section of botkit.toml."""

from __future__ import annotations

from typing import Literal

import attrs

from botkit import setting


@attrs.define
class VoiceSettings:
    """Speech settings; the engine and language can be changed per server with ``!voice``."""

    tts_engine: str = setting(
        "gtts", "text-to-speech engine: gtts, espeak, openai, or one a plugin adds"
    )
    language: str = setting("en", "language code for speech (en, ru, de, fr, ...)")
    speak_when: Literal["in_voice", "always", "never"] = setting(
        "in_voice",
        "speak replies: in_voice (author in a voice channel), always (also wherever the bot "
        "already is), never",
    )
    also_post_text: bool = setting(True, "post the text reply too when it is spoken")
    idle_seconds: float = setting(
        300.0, "leave the voice channel after this much silence (0: stay)"
    )
    max_queue: int = setting(10, "replies waiting to be spoken per server; more are not spoken")
    max_speech_chars: int = setting(1000, "longer replies are cut here when spoken, with a note")
    tts_timeout: float = setting(20.0, "seconds a text-to-speech engine may take")
    join_timeout: float = setting(20.0, "seconds joining a voice channel may take")
    play_timeout: float = setting(600.0, "seconds one spoken reply may play")
    stt_engine: Literal["sphinx", "google", "openai"] = setting(
        "sphinx", "speech-to-text: sphinx (offline), google (online), openai"
    )
    show_transcript: bool = setting(True, "post what was heard before answering it")
    max_audio_mb: float = setting(10.0, "larger audio attachments are refused")
    max_audio_seconds: float = setting(120.0, "longer audio attachments are refused")
    ffmpeg_timeout: float = setting(30.0, "seconds ffmpeg may take to convert an attachment")
    stt_timeout: float = setting(60.0, "seconds speech recognition may take")
    base_url: str = setting("https://api.openai.com/v1", "OpenAI-compatible API for openai")
    api_key_env: str = setting("OPENAI_API_KEY", "environment variable holding that API key")
    tts_model: str = setting("gpt-4o-mini-tts", "speech model of the openai engine")
    tts_voice: str = setting("alloy", "voice of the openai engine")
    stt_model: str = setting("whisper-1", "transcription model of the openai engine")
