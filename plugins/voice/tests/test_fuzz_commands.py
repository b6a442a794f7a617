"""Any words after the voice commands get a reply, never a failure of the plugin."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from voice_helpers import OWNER_IN_VOICE

COMMANDS = ["!voice me", "!voice engine", "!voice language", "!say", "!voice me espeak"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.tuples(st.sampled_from(COMMANDS), st.text(min_size=0, max_size=200)),
        min_size=1,
        max_size=3,
    )
)
def test_random_arguments_are_answered(voice_bot, lines):
    async def run() -> tuple[list[str], int]:
        async with voice_bot(config={"tts_engine": "espeak"}) as bot:
            texts = [
                (await bot.send(f"{cmd} {args}", user=OWNER_IN_VOICE)).text for cmd, args in lines
            ]
            status = bot.status("voice")
            return texts, status.failures + status.bad_results + status.timeouts

    texts, failures = asyncio.run(run())
    assert failures == 0
    assert all(texts)  # every line got an answer
