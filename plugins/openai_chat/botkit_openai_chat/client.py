"""The one ``AsyncOpenAI`` client a bot process uses, and the chat requests sent through it.

Requests go through the SDK's low-level ``request`` with a body encoded here and a raw
response back: the SDK still does the authentication, the retries and the error types, but
not its per-call transform of the parameters, which costs more the longer the history is.
What the SDK would work out afresh for every chat request and that is the same each time (the
request options, the URL and the headers) is worked out once (``ChatClient``). The JSON answer
(or the server-sent events of a streamed one) is read here too.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import attrs
import httpx2
import openai
from openai._models import FinalRequestOptions

from botkit_openai_chat.settings import ChatSettings

TRANSPORTS = {"aiohttp": openai.DefaultAioHttpClient, "httpx": openai.DefaultAsyncHttpxClient}
PATH = "/chat/completions"
SECURITY = {"bearer_auth": True}  # what chat.completions.create sends
# The options of every chat request but its body and idempotency key, made once (building
# them field by field costs more than the rest of the request's options together).
OPTIONS = FinalRequestOptions.construct(method="post", url=PATH, security=SECURITY)
KEY_PREFIX = f"botkit-{secrets.token_hex(8)}-"
_numbers = itertools.count()
UNREADABLE = "the chat answer is not the JSON the chat completions API sends"
# What reading a malformed answer can raise (RecursionError: JSON nested thousands deep).
UNEXPECTED = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)


@attrs.frozen
class Usage:
    """The tokens a request cost, as the server counted them."""

    prompt: int
    completion: int


@attrs.frozen
class Call:
    """One tool call the model asked for: its id, the tool's name, the arguments' JSON."""

    id: str
    name: str
    arguments: str


@attrs.frozen
class CallPiece:
    """Part of a tool call in a streamed answer: pieces with the same ``index`` add up."""

    index: int
    id: str = ""
    name: str = ""
    arguments: str = ""


@attrs.frozen
class Answer:
    """A whole answer: its text (the refusal, if the model refused), the tokens it cost and
    the tools it wants called first."""

    text: str
    usage: Usage | None
    refused: bool = False
    calls: tuple[Call, ...] = ()


def assemble(pieces: list[CallPiece]) -> tuple[Call, ...]:
    """The tool calls a stream's pieces add up to, in the order of their index."""
    calls: dict[int, list[str]] = {}
    for piece in pieces:
        found = calls.setdefault(piece.index, ["", "", ""])
        found[0] = found[0] or piece.id
        found[1] = found[1] or piece.name
        found[2] += piece.arguments
    return tuple(Call(*calls[i]) for i in sorted(calls))


def _calls(message: dict[str, Any]) -> tuple[Call, ...]:
    found = []
    for call in message.get("tool_calls") or ():
        function = call["function"]
        found.append(Call(str(call["id"]), str(function["name"]), function.get("arguments") or ""))
    return tuple(found)


def usage_of(data: dict[str, Any]) -> Usage | None:
    """The ``usage`` object of a completion or of the last streamed chunk, if it has one."""
    usage = data.get("usage")
    if not usage:
        return None
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    if not isinstance(prompt, int) or not isinstance(completion, int):
        total = usage.get("total_tokens")
        if not isinstance(total, int):
            raise TypeError("usage without token counts")
        return Usage(0, total)
    return Usage(prompt, completion)


@attrs.frozen
class Template:
    """What the SDK builds for a chat request that is the same for every one: for the client's
    key, base URL and time-out, the URL, the headers of each retry count (without the body's
    length) and the request's extensions (its time-outs)."""

    settings: tuple[Any, ...]
    url: httpx2.URL
    extensions: dict[str, Any]
    headers: dict[int, list[tuple[bytes, bytes]]] = attrs.field(factory=dict)

    @staticmethod
    def of(client: openai.AsyncOpenAI) -> tuple[Any, ...]:
        """What the SDK's URL and headers depend on: key, organization, project, base URL and
        time-out (compared by identity: whatever is set anew makes a new template)."""
        return (
            client.api_key,
            client.organization,
            client.project,
            client.base_url,
            client.timeout,
        )

    def fits(self, client: openai.AsyncOpenAI) -> bool:
        """Whether ``client`` still has the settings this was made for."""
        return all(a is b for a, b in zip(self.settings, self.of(client), strict=True))


def plain(options: FinalRequestOptions) -> bool:
    """Whether ``options`` are a chat request's as ``complete`` and ``stream`` make them: a
    body of bytes and nothing of the request's own (headers, query, time-out, files)."""
    return (
        options.url == PATH
        and isinstance(options.content, bytes)
        and options.json_data is None
        and options.extra_json is None
        and options.files is None
        and not options.params
        and isinstance(options.headers, openai.NotGiven)
        and isinstance(options.timeout, openai.NotGiven)
        and options.follow_redirects is None
    )


class ChatClient(openai.AsyncOpenAI):
    """The SDK's client; a chat request reuses the URL and headers the SDK built for the
    first one (per retry count) instead of merging and encoding them again each time.

    The SDK still builds every other request, and a chat request whenever the client's key,
    organization, project, base URL or time-out changed since, or the client sends an
    idempotency header."""

    _template: Template | None = None

    @property
    def user_agent(self) -> str:
        """The SDK's own (it would name this class instead)."""
        return f"{openai.AsyncOpenAI.__name__}/Python {openai.__version__}"

    def _build_request(
        self, options: FinalRequestOptions, *, retries_taken: int = 0
    ) -> httpx2.Request:
        if self._idempotency_header or not plain(options):
            return super()._build_request(options, retries_taken=retries_taken)
        template = self._template
        if template is None or not template.fits(self):
            template = None
        headers = template.headers.get(retries_taken) if template else None
        if template is None or headers is None:
            built = super()._build_request(options, retries_taken=retries_taken)
            if template is None:
                template = self._template = Template(
                    Template.of(self), built.url, dict(built.extensions)
                )
            template.headers[retries_taken] = [
                (name, value)
                for name, value in built.headers.raw
                if name.lower() != b"content-length"
            ]
            return built
        return httpx2.Request(
            "POST",
            template.url,
            headers=headers,
            content=options.content,
            extensions=dict(template.extensions),
        )


def make_client(settings: ChatSettings, api_key: str) -> ChatClient:
    """The client, on the SDK's aiohttp or httpx transport, pooled for the concurrency bound.

    Every connection stays open between requests (keep-alive = the bound), so a burst never
    pays for new TCP connections, and the pool never holds more connections than requests
    can use. The SDK recommends its aiohttp transport for concurrency: under a burst it
    spends about half the CPU per request that the httpx pool does.
    """
    size = settings.max_concurrent_requests
    limits = httpx2.Limits(max_connections=size, max_keepalive_connections=size)
    transport = TRANSPORTS[settings.http_client]
    return ChatClient(
        api_key=api_key,
        base_url=settings.base_url or None,
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        http_client=transport(limits=limits),
    )


def chat_body(
    settings: ChatSettings,
    model: str,
    messages: list[dict[str, Any]],
    *,
    stream: bool = False,
    tools: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON body of one chat completions request (``tools`` in the function format)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": settings.temperature,
    }
    if tools:
        body["tools"] = tools
    if settings.max_reply_tokens:
        # OpenAI's newer models only take max_completion_tokens; other servers know max_tokens.
        cap = "max_tokens" if settings.base_url else "max_completion_tokens"
        body[cap] = settings.max_reply_tokens
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def options(content: bytes) -> FinalRequestOptions:
    """A chat request's options: ``OPTIONS`` with this body, and an idempotency key that is
    cheap to make (the SDK would draw a random UUID for every request) and the same across
    the SDK's retries."""
    return OPTIONS.model_copy(
        update={"content": content, "idempotency_key": f"{KEY_PREFIX}{next(_numbers)}"}
    )


def encode(body: dict[str, Any]) -> bytes:
    """UTF-8 JSON; a lone surrogate that slipped into a text becomes ``?``, never an error."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


async def complete(client: openai.AsyncOpenAI, body: dict[str, Any]) -> Answer:
    """Ask for the whole answer at once."""
    response = await client.request(httpx2.Response, options(encode(body)))
    return parse_completion(response)


def parse_completion(response: httpx2.Response) -> Answer:
    """The ``chat.completion`` object of a response; anything else is the SDK's
    ``APIResponseValidationError``."""
    try:
        data = json.loads(response.content)
        choices = data.get("choices") or [{}]
        message = choices[0].get("message") or {}
        refusal = not message.get("content") and bool(message.get("refusal"))
        text = message.get("content") or message.get("refusal") or ""
        usage = usage_of(data)
        calls = _calls(message)
        if not isinstance(text, str):
            raise TypeError("wrong types")
    except UNEXPECTED as exc:
        raise openai.APIResponseValidationError(
            response, response.text[:200], message=UNREADABLE
        ) from exc
    return Answer(text, usage, refusal and not calls, calls)


async def stream(
    client: openai.AsyncOpenAI, body: dict[str, Any]
) -> AsyncIterator[str | Usage | CallPiece]:
    """Yield the pieces of a streamed answer as they come (``str``, ``CallPiece`` for tool
    calls), and its ``Usage`` when the usage chunk at the end says it."""
    response = await client.request(httpx2.Response, options(encode(body)), stream=True)
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, comments, event names
            data = line[5:].strip()
            if data.startswith("[DONE]"):
                break
            for piece in parse_chunk(response, data):
                yield piece
    finally:
        await response.aclose()


def parse_chunk(response: httpx2.Response, data: str) -> list[str | Usage | CallPiece]:
    """What one ``chat.completion.chunk`` event holds; an error event raises like the SDK."""
    try:
        chunk = json.loads(data)
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else None
            raise openai.APIError(
                message or "An error occurred during streaming", response.request, body=error
            )
        found: list[str | Usage | CallPiece] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                if not isinstance(delta["content"], str):
                    raise TypeError("wrong types")
                found.append(delta["content"])
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                found.append(
                    CallPiece(
                        int(call["index"]),
                        str(call.get("id") or ""),
                        str(function.get("name") or ""),
                        str(function.get("arguments") or ""),
                    )
                )
        usage = usage_of(chunk)
        if usage is not None:
            found.append(usage)
    except UNEXPECTED as exc:
        raise openai.APIResponseValidationError(response, data[:200], message=UNREADABLE) from exc
    return found
