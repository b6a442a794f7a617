"""The ``[openai_chat]`` section of botkit.toml."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

import attrs

from botkit import not_negative, positive, setting

MODEL_KEY = "model"  # the per-server values that !model and !system store
SYSTEM_KEY = "system_prompt"
STYLE = "Answer clearly and briefly; use Markdown only where it helps."
DEFAULT_SYSTEM_PROMPT = f"You are a helpful assistant in a chat. {STYLE}"
# The same default as botkit 0.2 wrote it into botkit.toml (``botkit init``).
DEFAULT_PROMPTS = {
    DEFAULT_SYSTEM_PROMPT,
    f"You are a helpful assistant in a Discord server. {STYLE}",
}
# Where the bot is, by adapter name: (in a server or group, in a direct message).
PLACES = {
    "discord": ("in a Discord server", "in a direct message on Discord"),
    "telegram": ("in a Telegram group", "in a private Telegram chat"),
    "console": ("in a terminal", "in a terminal"),
}


def default_prompt(adapter: str, direct: bool) -> str:
    """The default instructions, naming the platform (``adapter``) and whether the chat is a
    direct message; a platform not listed gets the plain default."""
    places = PLACES.get(adapter)
    if places is None:
        return DEFAULT_SYSTEM_PROMPT
    return f"You are a helpful assistant {places[direct]}. {STYLE}"


@attrs.define
class ChatSettings:
    """Settings of the chat plugin; admins can override the model and the prompt per server."""

    model: str = setting("gpt-4o-mini", "chat model (admins can pick another per server: !model)")
    base_url: str = setting(
        "",
        "OpenAI-compatible API root, e.g. http://localhost:11434/v1 (empty: OpenAI)",
        owner_only=True,
    )
    api_key_env: str = setting("OPENAI_API_KEY", "environment variable holding the API key")
    system_prompt: str = setting(
        DEFAULT_SYSTEM_PROMPT,
        "instructions for the model (!system); the default names the platform (Discord, "
        "Telegram, the terminal)",
    )
    temperature: float = setting(0.7, "sampling temperature, 0 to 2", server=True)
    history_messages: int = setting(
        20, "earlier messages of the conversation sent with a question", not_negative
    )
    history_tokens: int = setting(
        3000, "token cap on that history (about 4 characters a token)", not_negative, server=True
    )
    max_reply_tokens: int = setting(
        1000, "longest answer in tokens (0: the server's own limit)", not_negative, server=True
    )
    request_timeout: float = setting(60.0, "seconds to wait for the API, per attempt", positive)
    max_retries: int = setting(
        2, "retries of the openai client on 408, 409, 429, 5xx, time-outs", not_negative
    )
    stream: bool = setting(
        False, "post the answer while it is written, editing the message", server=True
    )
    rate_per_minute: int = setting(
        10, "messages a user may send the bot a minute (0: no limit)", not_negative, server=True
    )
    daily_token_budget: int = setting(
        0, "tokens a server may use a day, UTC (0: no limit)", not_negative, owner_only=True
    )
    conversation_idle_days: float = setting(
        7.0,
        "days without a message after which a conversation is forgotten (0: never)",
        not_negative,
    )
    usage_retention_days: int = setting(
        90,
        "days token counts are kept per user; older ones become per-server totals (0: forever)",
        not_negative,
    )
    max_concurrent_requests: int = setting(
        250, "API requests in flight at once; others queue", positive
    )
    max_tool_steps: int = setting(
        5,
        "rounds of tool calls the model may make before it must answer (0: no tools)",
        not_negative,
        server=True,
    )
    tool_timeout: float = setting(30.0, "seconds one tool call may take", positive)
    approval_timeout: float = setting(
        120.0,
        "seconds the asker has to approve a tool call (the wait does not count against "
        "[bot] hook_timeout)",
        positive,
    )
    show_tools: bool = setting(
        True,
        "show each tool call as a line before the answer (🔧 roll(sides=20) → 17)",
        server=True,
    )
    vision: Literal["auto"] | bool = setting(
        "auto",
        'send attached images to the model: "auto" (and answer without them, with a note, if '
        "the model refuses them), true, or false (never)",
        server=True,
    )
    max_image_mb: float = setting(
        5.0, "largest image sent to the model (also capped by [bot] max_attachment_mb)", positive
    )
    http_client: Literal["aiohttp", "httpx"] = setting(
        "aiohttp", "the openai client's HTTP transport: aiohttp (less CPU per request) or httpx"
    )

    def __attrs_post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("model must not be empty")
        if not self.api_key_env.strip():
            raise ValueError("api_key_env must name an environment variable")
        if not 0 <= self.temperature <= 2:
            raise ValueError(f"temperature must be between 0 and 2, not {self.temperature}")


def host_of(base_url: str) -> str:
    """The host part of the API root (never its credentials or path)."""
    if not base_url:
        return "api.openai.com"
    return urlsplit(base_url).hostname or "the API server"
