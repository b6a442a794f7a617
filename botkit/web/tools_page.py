"""The Tools page: the assistant's tools in a server (commands made tools, plugins' tools, MCP
servers' tools), each on or off and asking first or not, changed as ``!tools`` changes them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from botkit.tools import Toolbox
from botkit.web.html import csrf_field, e, notice, space_url, table

if TYPE_CHECKING:
    from botkit.web.app import Pages
    from botkit.web.tokens import Session

log = logging.getLogger("botkit.web")
CHANGES = {
    "enable": ("enabled", True),
    "disable": ("enabled", False),
    "ask": ("approval", True),
    "trust": ("approval", False),
}


class ToolsPage:
    """``/s/<server>/tools``: the list, and one POST per change."""

    def __init__(self, pages: Pages) -> None:
        self.host = pages
        self.bot = pages.bot

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/s/{space}/tools", self.show),
            web.post("/s/{space}/tools", self.change),
        ]

    async def show(
        self, request: web.Request, message: str = "", error: bool = False
    ) -> web.Response:
        from botkit.web.app import html

        session, space = self.host._space(request)
        box = self.bot.tools
        found = await box.available(space)
        choices = await box.choices(space)
        rows = []
        for tool in found:
            enabled, approval = Toolbox.state(tool, choices)
            rows.append(
                [
                    f"<code>{e(tool.name)}</code>",
                    e(tool.plugin),
                    e(tool.description),
                    ("on" if enabled else "off")
                    + self._button(session, space, tool.name, "disable" if enabled else "enable"),
                    ("asks first" if approval else "runs without asking")
                    + self._button(session, space, tool.name, "trust" if approval else "ask"),
                ]
            )
        body = notice(message, error) + (
            table(
                ("tool", "plugin", "what it does", "here", "approval"),
                rows,
                "The assistant's tools in this server (as !tools lists them)",
            )
            if rows
            else "<p>No installed plugin offers the assistant any tools.</p>"
        )
        page = self.host._layout("Tools", body, session, space, "tools")
        return html(page, 422 if error else 200)

    @staticmethod
    def _button(session: Session, space: str, name: str, change: str) -> str:
        label = {
            "enable": "Switch on",
            "disable": "Switch off",
            "ask": "Ask first",
            "trust": "Stop asking",
        }[change]
        return (
            f' <form class="inline" method="post" action="{space_url(space, "tools")}">'
            f"{csrf_field(session)}"
            f'<input type="hidden" name="tool" value="{e(name)}">'
            f'<input type="hidden" name="change" value="{change}">'
            f'<button class="quiet" aria-label="{e(label)}: {e(name)}">{e(label)}</button></form>'
        )

    async def change(self, request: web.Request) -> web.Response:
        session, space = self.host._space(request)
        form = await request.post()
        name, change = form.get("tool"), form.get("change")
        tools = {t.name: t for t in await self.bot.tools.available(space)}
        if not isinstance(name, str) or name not in tools or change not in CHANGES:
            return await self.show(request, "No such tool here: see the list as it is now.", True)
        key, value = CHANGES[str(change)]
        await self.bot.tools.choose(space, name, **{key: value})
        log.info("web: tool %s %s=%s in %s by %s", name, key, value, space, self.host._who(session))
        done = {
            "enable": f"The assistant may use {name} here.",
            "disable": f"The assistant no longer uses {name} here.",
            "ask": f"{name} now runs only after the asker approves each call.",
            "trust": f"{name} now runs without asking.",
        }[str(change)]
        return await self.show(request, done)
