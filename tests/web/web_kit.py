"""Helpers of the console's tests: a clock, a cookie-keeping client, grants."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import aiohttp
from yarl import URL

from botkit.testing import BotHarness
from botkit.web.tokens import Grant

START = 1_717_200_000.0  # 2024-06-01 00:00 UTC


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Page:
    """One answer of the console: status, text and the form token in it."""

    def __init__(self, status: int, text: str, url: str) -> None:
        self.status, self.text, self.url = status, text, url

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert found, "no form on the page"
        return found[1]

    @property
    def plain(self) -> str:
        """The page's text without tags."""
        return unescape(re.sub(r"<[^>]+>", " ", self.text))


class Browser:
    """Requests with cookies kept, as a browser would send them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def get(self, path: str, **kwargs: Any) -> Page:
        async with self.http.get(self.base + path, **kwargs) as response:
            return Page(response.status, await response.text(), str(response.url))

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Page:
        async with self.http.post(self.base + path, data=data, **kwargs) as response:
            return Page(response.status, await response.text(), str(response.url))

    def cookie(self, name: str) -> str:
        return self.http.cookie_jar.filter_cookies(URL(self.base))[name].value

    async def get_with_cookie(self, path: str, cookie: str) -> Page:
        """``path`` fetched with exactly this ``Cookie`` header and no other."""
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
            http.get(self.base + path, headers={"Cookie": cookie}) as response,
        ):
            return Page(response.status, await response.text(), str(response.url))

    async def sign_in(self, link: str) -> Page:
        token = link.rsplit("/", 1)[1]
        return await self.post("/login", {"token": token})

    async def close(self) -> None:
        await self.http.close()


async def link_for(bot: BotHarness, grant: Grant) -> str:
    return await bot.bot.web.link(grant)


OWNER = Grant("1", "owner", owner=True)
ADMIN = Grant("2", "admin", spaces=("500",))
