"""Whatever arrives as an audio attachment gets a clear answer, never an exception."""

from __future__ import annotations

import asyncio
from pathlib import Path

from botkit_voice import stt
from botkit_voice.errors import VoiceProblem
from botkit_voice.settings import VoiceSettings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botkit import Attachment

CLEAR = {
    "Could not read that audio file: is it a real audio file?",
    "That audio file is empty.",
    "That audio is too large (limit 1 MB).",
    "That audio is too long (limit 120 seconds).",
}


def attachment(name: str, data: bytes, declared: int, content_type: str) -> Attachment:
    async def read() -> bytes:
        return data

    return Attachment(name, declared, content_type, reader=read)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(max_size=300),
    data=st.binary(max_size=4096) | st.just(b""),
    declared=st.integers(min_value=0, max_value=10**12),
    content_type=st.sampled_from(["audio/ogg", "audio/mpeg", "audio/wav", "text/plain"]),
)
def test_any_attachment_is_heard_or_refused_clearly(
    tmp_path: Path, name, data, declared, content_type
):
    voice = VoiceSettings(stt_engine="sphinx", max_audio_mb=1.0)

    async def hear() -> str:
        try:
            return await stt.transcribe(
                voice, tmp_path, attachment(name, data, declared, content_type), "en"
            )
        except VoiceProblem as exc:
            return str(exc)

    answer = asyncio.run(hear())
    heard_words = all(w.replace("'", "").isalpha() for w in answer.split())
    assert answer in CLEAR or heard_words  # a clear refusal, or what noise sounded like
    assert not any((tmp_path / "voice" / "tmp").glob("*"))  # nothing left behind
