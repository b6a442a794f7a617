"""The OpenAI-compatible client both openai engines use, and its errors as user replies."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from typing import TYPE_CHECKING, Any

from botkit.util import redact, remember_secret
from botkit_voice.errors import VoiceProblem
from botkit_voice.settings import VoiceSettings

if TYPE_CHECKING:
    import openai

log = logging.getLogger("botkit.voice")


async def load(module: str) -> Any:
    """Import a heavy module (openai: about a second) in a thread, not on the event loop."""
    return await asyncio.to_thread(importlib.import_module, module)


def openai_client(settings: VoiceSettings, timeout: float) -> openai.AsyncOpenAI:
    """A client for ``base_url`` with the key from ``api_key_env``; use it as ``async with``."""
    import openai

    key = os.environ.get(settings.api_key_env)
    if not key:
        raise VoiceProblem(
            f"The openai voice engines need an API key in the {settings.api_key_env} "
            "environment variable; ask the bot's owner to set it."
        )
    remember_secret(key)
    return openai.AsyncOpenAI(
        api_key=key, base_url=settings.base_url, timeout=timeout, max_retries=1
    )


def openai_failure(exc: openai.APIError, endpoint: str) -> VoiceProblem:
    """Turn a failed call to the ``endpoint`` into a reply, logging the details."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        log.warning("openai %s timed out", endpoint)
        return VoiceProblem(f"The OpenAI {endpoint} service did not answer in time.")
    if isinstance(exc, openai.APIStatusError):
        reason = redact(str(exc.message))[:200]
        log.warning("openai %s failed with HTTP %s: %s", endpoint, exc.status_code, reason)
        return VoiceProblem(f"The OpenAI {endpoint} service refused (HTTP {exc.status_code}).")
    log.warning("openai %s failed: %s", endpoint, redact(str(exc))[:200])
    return VoiceProblem(f"The OpenAI {endpoint} service could not be reached.")
