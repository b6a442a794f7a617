"""The one ``AsyncOpenAI`` client a bot process uses, and the request it sends."""

from __future__ import annotations

from typing import Any

import httpx2
import openai

from botkit_openai_chat.settings import ChatSettings

TRANSPORTS = {"aiohttp": openai.DefaultAioHttpClient, "httpx": openai.DefaultAsyncHttpxClient}


def make_client(settings: ChatSettings, api_key: str) -> openai.AsyncOpenAI:
    """The client, on the SDK's aiohttp or httpx transport, pooled for the concurrency bound.

    Every connection stays open between requests (keep-alive = the bound), so a burst never
    pays for new TCP connections, and the pool never holds more connections than requests
    can use. The SDK recommends its aiohttp transport for concurrency: under a burst it
    spends about half the CPU per request that the httpx pool does.
    """
    size = settings.max_concurrent_requests
    limits = httpx2.Limits(max_connections=size, max_keepalive_connections=size)
    transport = TRANSPORTS[settings.http_client]
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=settings.base_url or None,
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        http_client=transport(limits=limits),
    )


def chat_options(
    settings: ChatSettings, model: str, messages: list[dict[str, str]]
) -> dict[str, Any]:
    """Arguments of ``chat.completions.create`` for one question."""
    options: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": settings.temperature,
    }
    if settings.max_reply_tokens:
        # OpenAI's newer models only take max_completion_tokens; other servers know max_tokens.
        cap = "max_tokens" if settings.base_url else "max_completion_tokens"
        options[cap] = settings.max_reply_tokens
    return options
