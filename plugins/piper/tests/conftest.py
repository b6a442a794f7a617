"""A bot with the voice plugin, Piper and a chat plugin that echoes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botkit_piper
import botkit_voice
import pytest

from botkit import Context, hookimpl
from botkit.testing import RecordingAdapter, RecordingVoice


class EchoChat:
    @hookimpl
    def botkit_respond(self, ctx: Context, text: str, snippets: list[str]) -> str:
        return f"you said: {text}"


@pytest.fixture
def piper_bot(botkit_harness: Callable[..., Any]) -> Callable[..., Any]:
    """``piper_bot(piper={...}, voice={...}, channels=...)``: voice + piper + echo chat.

    The server's engine is espeak until ``!voice engine piper``; ``channels`` replaces the
    recording adapter's voice connections.
    """

    def start(
        piper: dict[str, Any] | None = None,
        voice: dict[str, Any] | None = None,
        channels: Any = None,
    ) -> Any:
        plugins = {"voice": botkit_voice, "piper": botkit_piper, "chat": EchoChat()}
        config = {
            "voice": {"tts_engine": "espeak", "stt_engine": "sphinx", **(voice or {})},
            "piper": piper or {},
        }
        return botkit_harness(
            plugins=plugins,
            config=config,
            adapter=RecordingAdapter(voice=channels or RecordingVoice()),
        )

    return start
