"""The ``[voice]`` section of botkit.toml."""

from __future__ import annotations

from typing import Literal

import attrs

from botkit import not_negative, positive, setting

SpeakWhen = Literal["in_voice", "voice", "always", "never"]
SttEngine = Literal["auto", "whisper", "sphinx", "google", "openai"]
ListenTo = Literal["opt_in", "everyone"]


@attrs.define
class VoiceSettings:
    """Speech settings; servers may change the ones marked ``server`` (``!config``, ``!voice``)."""

    tts_engine: str = setting(
        "auto",
        "text-to-speech engine: auto (Piper when installed with a voice here, else espeak; "
        "both offline), espeak, gtts (Google, online), openai (paid), or one a plugin adds",
        server=True,
    )
    member_engines: list[str] = setting(
        ["espeak", "piper"],
        "engines members may pick for themselves with !voice me (admins and the owner: any; "
        "auto always)",
        server=True,
    )
    language: str = setting("en", "language code for speech (en, ru, de, fr, ...)", server=True)
    speak_when: SpeakWhen = setting(
        "in_voice",
        "speak replies: in_voice (author in a voice channel), voice (also answer voice messages "
        "with a voice message), always (every reply, in the bot's voice channel or as a voice "
        "message), never",
        server=True,
    )
    also_post_text: bool = setting(True, "post the text reply too when it is spoken", server=True)
    idle_seconds: float = setting(
        300.0,
        "leave the voice channel after this much silence (0: stay)",
        not_negative,
    )
    max_queue: int = setting(
        10, "replies waiting to be spoken per server; more are not spoken", positive
    )
    max_speech_chars: int = setting(
        1000, "longer replies are cut here when spoken, with a note", positive, server=True
    )
    tts_timeout: float = setting(20.0, "seconds a text-to-speech engine may take", positive)
    join_timeout: float = setting(20.0, "seconds joining a voice channel may take", positive)
    play_timeout: float = setting(600.0, "seconds one spoken reply may play", positive)
    stt_engine: SttEngine = setting(
        "auto",
        "speech-to-text: auto (whisper when installed, else sphinx), whisper, sphinx (offline), "
        "google (online), openai",
        server=True,
    )
    whisper_model: str = setting(
        "tiny.en", "Whisper model: a faster-whisper model name or a model directory"
    )
    workers: int = setting(
        0, "processes for speech recognition and espeak-ng (0: one per core)", not_negative
    )
    max_waiting: int = setting(
        64, "speech jobs that may wait for a worker; more are answered 'busy'", not_negative
    )
    show_transcript: bool = setting(True, "post what was heard before answering it", server=True)
    max_audio_mb: float = setting(10.0, "larger audio attachments are refused", positive)
    max_audio_seconds: float = setting(120.0, "longer audio attachments are refused", positive)
    ffmpeg_timeout: float = setting(
        30.0, "seconds ffmpeg may take to convert an attachment", positive
    )
    stt_timeout: float = setting(60.0, "seconds speech recognition may take", positive)
    base_url: str = setting(
        "https://api.openai.com/v1", "OpenAI-compatible API for openai", owner_only=True
    )
    api_key_env: str = setting("OPENAI_API_KEY", "environment variable holding that API key")
    tts_model: str = setting(
        "gpt-4o-mini-tts", "speech model of the openai engine", owner_only=True
    )
    tts_voice: str = setting("alloy", "voice of the openai engine", owner_only=True)
    stt_model: str = setting(
        "whisper-1", "transcription model of the openai engine", owner_only=True
    )
    listen: ListenTo = setting(
        "opt_in",
        "who !listen hears in a voice channel: opt_in (each person who says !listen) or "
        "everyone in the channel",
        owner_only=True,
    )
    listen_idle_minutes: float = setting(
        10.0, "stop listening after this long without hearing anyone (0: never)", not_negative
    )
    keep_recordings: bool = setting(
        False,
        "keep what was heard as WAV files under the data directory (deleted by !forgetme); "
        "off: sound is never written to disk",
        owner_only=True,
    )
    end_of_turn_ms: int = setting(
        700, "milliseconds of silence that end what someone is saying", positive, server=True
    )
    max_utterance_seconds: float = setting(
        20.0, "longer utterances are cut here and heard in pieces", positive, server=True
    )
    post_transcripts: bool = setting(
        True, "post what was heard (🎙️ name: words) in the text channel", server=True
    )
    max_listeners: int = setting(
        4, "speakers transcribed at once per server; others are told the bot is busy", positive
    )
