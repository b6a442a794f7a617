"""The console's MCP page: each server with its transport (never its secrets), its state and
restarts, its tools with their state here, and approval turned off there as with ``!tools``."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from html import unescape

import aiohttp
import pytest
from conftest import TIME, connected, mcp_config, until

from botkit.web.tokens import Grant

ADMIN = Grant("2", "admin", spaces=("500",))
WEB = {"web": {"listen": "127.0.0.1:0"}, "bot": {"owner_ids": ["1"]}}
PAGE = "/s/500/p/mcp/servers"
SECRET = "Bearer s3cret-header-value"


class Web:
    """A signed-in client of the bot's console that keeps the form token."""

    def __init__(self, bot, http: aiohttp.ClientSession) -> None:
        self.bot, self.http, self.base = bot, http, bot.bot.web.base_url
        self.csrf = ""

    async def sign_in(self) -> None:
        token = (await self.bot.bot.web.link(ADMIN)).rsplit("/", 1)[1]
        await self.post("/login", {"token": token})

    async def get(self, path: str = PAGE) -> tuple[int, str, str]:
        async with self.http.get(self.base + path) as response:
            html = await response.text()
            return response.status, html, self._keep(html)

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        async with self.http.post(self.base + path, data={"csrf": self.csrf, **data}) as got:
            return got.status, self._keep(await got.text())

    def _keep(self, text: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        if found:
            self.csrf = found[1]
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.fixture
async def web(botkit_harness, plugin) -> AsyncIterator:
    async def start(servers: dict) -> Web:
        bot = await stack.enter_async_context(
            botkit_harness({"mcp": plugin}, config=WEB | mcp_config(servers))
        )
        client = Web(bot, http)
        await client.sign_in()
        return client

    async with (
        contextlib.AsyncExitStack() as stack,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        yield start


async def test_a_connected_server_is_listed_with_its_command_and_tools(web, plugin) -> None:
    client = await web({"time": {"command": TIME}})
    await connected(plugin, "time")
    status, _, text = await client.get()
    assert status == 200
    assert f"stdio: {' '.join(TIME)} connected 0" in text
    assert (
        "time_get_current_time Get current time in a specific timezone enabled asks first" in text
    )
    assert "time_convert_time" in text


async def test_a_failing_http_server_shows_why_and_never_its_secrets(
    web, plugin, monkeypatch
) -> None:
    monkeypatch.setenv("BOTKIT_TEST_SEARCH", SECRET)
    url = "http://someone:pa55word@127.0.0.1:9/mcp?key=k3y-in-query"
    client = await web(
        {"search": {"url": url, "headers_env": {"Authorization": "BOTKIT_TEST_SEARCH"}}}
    )
    await until(lambda: plugin.servers["search"].restarts > 0)
    _, html, text = await client.get()
    assert "streamable HTTP: http://127.0.0.1:9/mcp failed (" in text
    assert "restarting with back-off, next try after" in text
    assert "No tools listed yet" in text
    for secret in ("s3cret", "pa55word", "someone", "k3y-in-query"):
        assert secret not in html


async def test_approval_turned_off_on_the_page_is_what_tools_shows(web, plugin, caplog) -> None:
    client = await web({"time": {"command": TIME}})
    await connected(plugin, "time")
    await client.get()
    caplog.set_level(logging.INFO, "botkit.web")
    status, text = await client.post(
        PAGE + "/approval", {"tool": "time_get_current_time", "change": "trust"}
    )
    assert status == 200
    assert "time_get_current_time now runs without asking." in text
    assert (
        "time_get_current_time Get current time in a specific timezone enabled runs without asking"
        in text
    )
    assert "tool time_get_current_time approval=False in 500 by user 2 (admin, web)" in caplog.text
    listed = await client.bot.send("!tools", user=client.bot.admin)
    assert "`time_get_current_time` (mcp) on: Get current time" in listed.text
    assert "`time_convert_time` (mcp) on, asks first" in listed.text


async def test_approval_turned_back_on_asks_again(web, plugin) -> None:
    client = await web({"time": {"command": TIME}})
    await connected(plugin, "time")
    await client.bot.send("!tools approval time_convert_time off", user=client.bot.admin)
    await client.get()
    _, text = await client.post(PAGE + "/approval", {"tool": "time_convert_time", "change": "ask"})
    assert "time_convert_time now runs only after the asker approves each call." in text
    listed = await client.bot.send("!tools", user=client.bot.admin)
    assert "`time_convert_time` (mcp) on, asks first" in listed.text


async def test_a_tool_that_is_not_offered_here_is_refused(web, plugin) -> None:
    client = await web({"time": {"command": TIME}})
    await connected(plugin, "time")
    await client.get()
    status, text = await client.post(PAGE + "/approval", {"tool": "roll", "change": "trust"})
    assert status == 422
    assert "No tool 'roll' here now" in text


async def test_without_servers_the_page_says_how_to_add_one(web) -> None:
    client = await web({})
    _, _, text = await client.get()
    assert "No MCP servers are running: add [mcp.servers.NAME]" in text
