"""A plugin for the console's tests: settings of every kind, a command, tokens counted."""

from __future__ import annotations

from typing import Literal

import attrs

from botkit import Context, command, hookimpl, setting


def _unit(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{attribute.name} must be between 0 and 1, not {value!r}")


@attrs.define
class DemoSettings:
    greeting: str = setting("hello", "what !greet says", server=True)
    temperature: float = setting(0.5, "how warm the answers are", _unit, server=True)
    mode: Literal["short", "long"] = setting("short", "answer length", server=True)
    loud: bool = setting(False, "shout the greeting", server=True)
    base_url: str = setting(
        "https://user:hunter2@api.example.org/v1", "the service", owner_only=True
    )
    api_key_env: str = setting("DEMO_API_KEY", "never changed per server")


async def greet(ctx: Context) -> str:
    """Greet."""
    text = ctx.settings.greeting
    return text.upper() if ctx.settings.loud else text


@hookimpl
def botkit_settings() -> type:
    return DemoSettings


@hookimpl
def botkit_commands() -> list:
    return [command(greet)]


@hookimpl
async def botkit_respond(ctx: Context, text: str, snippets: list[str]) -> str:
    ctx.plugin.count_tokens(prompt=30, completion=12)
    return f"you said {text}"
