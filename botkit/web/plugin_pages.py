"""Serving the pages plugins add (``botkit_web_pages``): the console checks rights and the form
token, builds the plugin's :class:`~botkit.web.pages.WebView`, logs each action with who took
it, and wraps the plugin's HTML in the console's layout."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from botkit.context import CommandError
from botkit.web.html import notice, space_url
from botkit.web.pages import WebPage, WebView

if TYPE_CHECKING:
    from botkit.web.app import Pages
    from botkit.web.tokens import Session

log = logging.getLogger("botkit.web")


class PluginPages:
    """Every plugin's pages, by (plugin, slug)."""

    def __init__(self, pages: Pages) -> None:
        self.host = pages
        self.bot = pages.bot
        self.pages: dict[tuple[str, str], WebPage] = {
            (plugin, page.slug): page
            for plugin, listed in self.bot.web_pages.items()
            for page in listed
        }

    def routes(self) -> list[web.RouteDef]:
        base = "/s/{space}/p/{plugin}/{slug}"
        return [
            web.get(base, self.show),
            web.post(base + "/{action}", self.act),
            web.get(base + "/file/{name}", self.download),
        ]

    def nav(self, session: Session) -> list[tuple[str, str]]:
        """(path under the server, label) of the pages this person may open."""
        return [
            (f"p/{plugin}/{slug}", page.title)
            for (plugin, slug), page in self.pages.items()
            if self._usable(plugin, page, session)
        ]

    def _usable(self, plugin: str, page: WebPage, session: Session) -> bool:
        status = self.bot.plugins.statuses.get(plugin)
        ok = status is not None and status.state == "ok"
        return ok and (session.grant.owner or not page.owner_only)

    def _find(self, request: web.Request) -> tuple[Session, str, str, WebPage]:
        session, space = self.host._space(request)
        plugin, slug = request.match_info["plugin"], request.match_info["slug"]
        page = self.pages.get((plugin, slug))
        if page is None or not self._usable(plugin, page, session):
            raise web.HTTPNotFound(text="No such page.")
        return session, space, plugin, page

    def _view(
        self, session: Session, space: str, plugin: str, page: WebPage, fields: Any
    ) -> WebView:
        grant = session.grant
        return WebView(
            plugin=self.bot.plugin_handle(plugin),
            space=space,
            user_id=grant.user_id,
            user_name=grant.name,
            owner=grant.owner,
            fields={k: v for k, v in fields.items() if isinstance(v, str) and k != "csrf"},
            base=space_url(space, f"p/{plugin}/{page.slug}"),
            csrf=session.csrf,
            toolbox=self.bot.tools,
        )

    async def _call(self, plugin: str, what: str, awaitable: Any) -> Any:
        """A plugin's callback, under the hook time-out; a failure is logged, not shown."""
        try:
            return await asyncio.wait_for(awaitable, self.bot.config.bot.hook_timeout)
        except CommandError:
            raise
        except Exception:
            log.exception("web: plugin %s failed in %s", plugin, what)
            raise web.HTTPInternalServerError(
                text=f"The {plugin} plugin failed; the details are in the bot's log."
            ) from None

    async def show(
        self, request: web.Request, message: str = "", error: bool = False
    ) -> web.Response:
        session, space, plugin, page = self._find(request)
        view = self._view(session, space, plugin, page, request.query)
        try:
            body = await self._call(plugin, f"page {page.slug}", page.render(view))
        except CommandError as exc:
            body, message, error = "", str(exc), True
        current = f"p/{plugin}/{page.slug}"
        text = self.host._layout(page.title, notice(message, error) + body, session, space, current)
        from botkit.web.app import html

        return html(text, 422 if error else 200)

    async def act(self, request: web.Request) -> web.Response:
        session, space, plugin, page = self._find(request)
        name = request.match_info["action"]
        action = page.actions.get(name)
        if action is None:
            raise web.HTTPNotFound(text="No such action.")
        view = self._view(session, space, plugin, page, await request.post())
        who = self.host._who(session)
        try:
            done = await self._call(plugin, f"action {page.slug}/{name}", action(view))
        except CommandError as exc:
            log.info(
                "web: %s/%s/%s refused in %s for %s: %s", plugin, page.slug, name, space, who, exc
            )
            return await self.show(request, str(exc), True)
        log.info("web: %s/%s/%s in %s by %s: %s", plugin, page.slug, name, space, who, done)
        return await self.show(request, str(done))

    async def download(self, request: web.Request) -> web.StreamResponse:
        session, space, plugin, page = self._find(request)
        name = request.match_info["name"]
        view = self._view(session, space, plugin, page, request.query)
        found = None
        if page.files is not None:
            try:
                found = await self._call(plugin, f"file {page.slug}/{name}", page.files(view, name))
            except CommandError as exc:
                return await self.show(request, str(exc), True)
        if found is None:
            raise web.HTTPNotFound(text="No such file.")
        log.info(
            "web: %s downloaded %s/%s in %s", self.host._who(session), plugin, found.name, space
        )
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in found.name)
        return web.Response(
            body=found.data,
            content_type=found.content_type,
            headers={"Content-Disposition": f'attachment; filename="{safe}"'},
        )
