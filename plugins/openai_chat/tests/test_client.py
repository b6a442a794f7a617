"""The chat client sends what the OpenAI SDK would send, though it builds it once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import openai
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botkit_openai_chat import client
from botkit_openai_chat.settings import ChatSettings
from conftest import API_KEY

from botkit_testkit.openai_server import FakeOpenAI

TIMEOUT = ChatSettings().request_timeout
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(params=["aiohttp", "httpx"])
async def chat(
    request: pytest.FixtureRequest, server: FakeOpenAI
) -> AsyncIterator[client.ChatClient]:
    settings = ChatSettings(base_url=server.base_url, max_retries=1, http_client=request.param)
    api = client.make_client(settings, API_KEY)
    async with api:
        yield api


def chats(server: FakeOpenAI) -> list[dict[str, str]]:
    return [r.headers for r in server.requests if r.path == "/chat/completions"]


async def test_the_server_gets_the_headers_the_sdk_sends(chat, server) -> None:
    sdk = openai.AsyncOpenAI(api_key=API_KEY, base_url=server.base_url, timeout=TIMEOUT)
    async with sdk:
        await sdk.post(
            client.PATH,
            cast_to=httpx2.Response,
            content=client.encode(BODY),
            options={"security": client.SECURITY},
        )
    for _ in range(2):
        await client.complete(chat, BODY)
    expected, *ours = chats(server)
    assert ours == [expected, expected]


async def test_each_retry_says_its_number(chat, server) -> None:
    server.fail_next(500, times=1)
    answer = await client.complete(chat, BODY)
    assert answer.text == "echo: hi"
    assert [h["x-stainless-retry-count"] for h in chats(server)] == ["0", "1"]


async def test_a_new_key_is_sent_from_the_next_request_on(chat, server) -> None:
    await client.complete(chat, BODY)
    chat.api_key = "sk-another-key-Zq8v2LmX41"
    with pytest.raises(openai.AuthenticationError):
        await client.complete(chat, BODY)


async def test_a_new_organization_is_sent_from_the_next_request_on(chat, server) -> None:
    await client.complete(chat, BODY)
    chat.organization = "org-botkit"
    await client.complete(chat, BODY)
    assert [h.get("openai-organization") for h in chats(server)] == [None, "org-botkit"]


async def test_a_redirect_is_followed(chat) -> None:
    """(To another host, so without the key: the SDK's HTTP client drops it, as it should.)"""

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"{keyless.base_url}/chat/completions")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", moved)
    async with FakeOpenAI(api_key=None) as keyless, TestServer(app, host="127.0.0.1") as old:
        chat.base_url = str(old.make_url("/v1"))
        answer = await client.complete(chat, BODY)
    assert answer.text == "echo: hi"
    assert keyless.paths("POST") == ["/chat/completions"]
