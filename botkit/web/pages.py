"""Pages plugins add to the web console (hook ``botkit_web_pages``), and the helpers they build
their HTML with.

A plugin returns :class:`WebPage` objects once, at start-up. The console lists each under every
server's navigation, checks the signed-in person's rights to the server and the form's CSRF
token before calling the page, logs every action with who took it, and wraps the plugin's HTML
in its layout. A page's callbacks get a :class:`WebView`: the plugin's handle, the server
(space), who is signed in, and the submitted fields. Everything a page shows goes through
:func:`e` (or a helper that escapes), so stored text never becomes markup.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from botkit.web.chart import Series, bar_chart, line_chart
from botkit.web.html import choice, e, notice, table, text_input
from botkit.web.png import bar_png, line_png

if TYPE_CHECKING:
    from botkit.handle import PluginHandle

log = logging.getLogger("botkit.web")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")


@attrs.frozen
class WebFile:
    """A download a page offers: its file name, bytes and media type."""

    name: str
    data: bytes
    content_type: str = "application/octet-stream"


@attrs.frozen
class WebView:
    """One request to a plugin's page: the plugin's own handle, the server, who is signed in
    (the bot's owner, or an admin of this server) and the fields sent (the query of a page,
    the form of an action)."""

    plugin: PluginHandle
    space: str
    user_id: str
    user_name: str
    owner: bool
    fields: Mapping[str, str]
    base: str  # the page's own address
    csrf: str
    toolbox: Any = attrs.field(default=None, repr=False)  # the host's tools (botkit.tools)

    @property
    def admin(self) -> bool:
        """Always true: only the bot's owner and the server's admins reach a server's pages."""
        return True

    @property
    def who(self) -> str:
        """Who is signed in, for log lines: ``user 2 (admin, web)``."""
        return f"user {self.user_id} ({self.user_name or 'no name'}, web)"

    async def tool_choices(self) -> dict[str, dict[str, bool]]:
        """This server's choices about the assistant's tools, by tool name: ``enabled`` and
        ``approval`` where someone changed them (``!tools`` or the console), else absent."""
        return {k: dict(v) for k, v in (await self.toolbox.choices(self.space)).items()}

    async def choose_tool(self, name: str, **change: bool) -> None:
        """Change ``enabled`` or ``approval`` of one of this plugin's tools in this server, as
        ``!tools enable|disable`` and ``!tools approval`` do, logged with who; a tool not
        offered here now (or another plugin's) is refused with ``CommandError``."""
        from botkit.context import CommandError

        tool = await self.toolbox.find(self.space, name)
        if tool is None or tool.plugin != self.plugin.name:
            raise CommandError(f"No tool {name[:40]!r} here now: see the list as it is now.")
        await self.toolbox.choose(self.space, tool.name, **change)
        shown = " ".join(f"{k}={v}" for k, v in change.items())
        log.info("web: tool %s %s in %s by %s", tool.name, shown, self.space, self.who)

    def field(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def url(self, action: str = "") -> str:
        """The page's address, or that of one of its actions (POST) or files (``file/<name>``)."""
        return f"{self.base}/{action}" if action else self.base

    def form(self, action: str, inner: str, button: str, label: str = "") -> str:
        """A POST form to ``action`` carrying the session's CSRF token; ``inner`` is HTML (use
        the escaping helpers), ``label`` the button's accessible name when the text is short."""
        aria = f' aria-label="{e(label)}"' if label else ""
        return (
            f'<form class="inline" method="post" action="{e(self.url(action))}">'
            f'<input type="hidden" name="csrf" value="{e(self.csrf)}">{inner}'
            f"<button{aria}>{e(button)}</button></form>"
        )


def hidden(name: str, value: object) -> str:
    """A hidden form field."""
    return f'<input type="hidden" name="{e(name)}" value="{e(value)}">'


def text_area(name: str, label: str, value: str = "", field_id: str = "") -> str:
    """A labelled multi-line text field."""
    field_id = field_id or f"f-{name}"
    return (
        f'<div><label for="{e(field_id)}">{e(label)}</label>'
        f'<textarea id="{e(field_id)}" name="{e(name)}" rows="3">{e(value)}</textarea></div>'
    )


Render = Callable[[WebView], Awaitable[str]]
Action = Callable[[WebView], Awaitable[str]]
Files = Callable[[WebView, str], Awaitable[WebFile | None]]


def _slug(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if not SLUG.fullmatch(value):
        raise ValueError(f"a page's {attribute.name} is lower-case letters, digits and -")


@attrs.frozen
class WebPage:
    """One page of a plugin under each server: ``/s/<server>/p/<plugin>/<slug>``.

    ``render`` returns the page's HTML (built with the escaping helpers); each of ``actions``
    (POST ``.../<slug>/<name>``) changes something and returns the line shown to the person
    (raise ``botkit.CommandError`` to refuse, saying why); ``files`` returns the download
    ``name`` (GET ``.../<slug>/file/<name>``) or None. ``owner_only`` pages are listed and
    served only to the bot's owner.
    """

    slug: str = attrs.field(validator=_slug)
    title: str
    render: Render
    actions: Mapping[str, Action] = attrs.field(factory=dict)
    files: Files | None = None
    owner_only: bool = False


__all__ = [
    "Series",
    "WebFile",
    "WebPage",
    "WebView",
    "bar_chart",
    "bar_png",
    "choice",
    "e",
    "hidden",
    "line_chart",
    "line_png",
    "notice",
    "table",
    "text_area",
    "text_input",
]
