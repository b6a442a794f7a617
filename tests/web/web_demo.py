"""A plugin for the console's tests: settings of every kind, a command, tokens counted, a
page of its own with an action and a download."""

from __future__ import annotations

from typing import Literal

import attrs

from botkit import CommandError, Context, command, hookimpl, setting
from botkit.web import WebFile, WebPage, WebView, e, table, text_input


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


async def roll(ctx: Context, sides: int = 6) -> str:
    """Roll a die."""
    return str(min(sides, 4))


@hookimpl
def botkit_commands() -> list:
    return [command(greet), command(roll, tool=True)]


@hookimpl
async def botkit_respond(ctx: Context, text: str, snippets: list[str]) -> str:
    ctx.plugin.count_tokens(prompt=30, completion=12)
    return f"you said {text}"


async def _notes_page(view: WebView) -> str:
    notes = await view.plugin.get_value(view.space, "notes", [])
    rows = [[e(n)] for n in notes]
    add = view.form("add", text_input("text", "Note", form="note"), "Add note")
    role = "owner" if view.owner else "admin"
    return (
        f"<p>Signed in as {e(view.user_name)} ({role}).</p>" + table(("note",), rows, "Notes") + add
    )


async def _add_note(view: WebView) -> str:
    text = view.field("text").strip()
    if not text:
        raise CommandError("Write a note first.")
    notes = await view.plugin.get_value(view.space, "notes", [])
    await view.plugin.set_value(view.space, "notes", [*notes, text])
    return f"Note added: {text}"


async def _notes_file(view: WebView, name: str) -> WebFile | None:
    if name != "notes.txt":
        return None
    notes = await view.plugin.get_value(view.space, "notes", [])
    return WebFile("notes.txt", "\n".join(notes).encode(), "text/plain")


@hookimpl
def botkit_web_pages() -> list[WebPage]:
    return [
        WebPage("notes", "Notes", _notes_page, {"add": _add_note}, _notes_file),
        WebPage("secret", "Owner's page", _notes_page, owner_only=True),
    ]
