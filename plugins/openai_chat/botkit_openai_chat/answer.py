"""The respond hook: check the limits, build the prompt, ask the model, remember the answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import attrs
import openai
from sqlalchemy.exc import SQLAlchemyError

from botkit import CommandError, Context, Reply
from botkit.util import clean_text
from botkit_openai_chat import client, conversation, errors, images, prompt, store
from botkit_openai_chat.limits import day_of, duration, until_midnight
from botkit_openai_chat.state import ChatState
from botkit_openai_chat.tools import Rounds

log = logging.getLogger("botkit.openai_chat")

EMPTY_ANSWER = "The model sent an empty answer. Please ask again in other words."
HOOK_SHARE = 0.9  # of the host's hook time-out, so that a reply always goes out in time

Record = Callable[[str, client.Usage | None], Awaitable[None]]


class ImagesRefused(Exception):
    """The model or server does not take the images sent (``vision = "auto"``: ask again
    without them)."""


async def respond(state: ChatState, ctx: Context, text: str, snippets: Sequence[str]) -> Reply:
    """Answer ``text`` in its conversation; raise CommandError saying briefly why not (the
    host replies with its text, and ``ctx.answer`` never takes it for an answer).

    ``ctx.settings`` are this space's settings (the file's, with its ``!config`` values); a
    message of its own (``ephemeral``, e.g. ``!test``) neither reads nor leaves a history, and
    is never streamed.
    """
    settings, text, now = ctx.settings or state.settings, clean_text(text), state.now()
    api = state.client_for(settings)
    if api is None:
        raise CommandError(state.missing_key_reply())
    wait = state.rate.wait(ctx.message.author.id, settings.rate_per_minute)
    if wait:
        raise CommandError(
            f"You are sending messages faster than {settings.rate_per_minute} a minute. "
            f"Try again in {duration(wait)}."
        )
    space, day = ctx.space, day_of(now)
    if settings.daily_token_budget:
        used = await store.tokens_today(state.storage, day, space)
        if used >= settings.daily_token_budget:
            where = "This server" if ctx.guild_id else "Your direct messages"
            raise CommandError(
                f"{where} used today's {settings.daily_token_budget:,} tokens. The budget starts "
                f"afresh at 00:00 UTC, in {duration(until_midnight(now).total_seconds())}."
            )
    model, system = await state.guild_choice(ctx)
    pictures, unseen = await looked_at(state, ctx, settings, model, text)
    ephemeral = ctx.message.ephemeral
    if ephemeral:
        chat, history, fresh = conversation.Conversation(f"once:{ctx.message.id}:"), [], False
    else:
        chat = await conversation.resolve(ctx, state.storage)
        history, fresh = await conversation.load(state, chat)
    messages = prompt.messages(
        system,
        snippets,
        history,
        text,
        max_messages=settings.history_messages,
        max_tokens=settings.history_tokens,
    )
    stream = settings.stream and not ephemeral
    offered = [] if ephemeral or not settings.max_tool_steps else await ctx.tools()
    rounds = Rounds(ctx, settings, offered)
    seen = [*messages[:-1], {"role": "user", "content": images.question(text, pictures)}]
    body = client.chat_body(settings, model, seen, stream=stream, tools=rounds.tools())

    async def record(answer: str, usage: client.Usage | None) -> None:
        if usage is None:  # a server that does not count: estimate
            usage = client.Usage(
                sum(prompt.approx_tokens(prompt.text_of(m.get("content"))) for m in messages),
                prompt.approx_tokens(answer),
            )
        tokens = usage.prompt + usage.completion
        ctx.plugin.count_tokens(usage.prompt, usage.completion)
        exchange = store.Exchange(
            conversation=chat.key,
            question=images.remembered(text, [*pictures, *unseen]),
            answer=answer,
            user_id=ctx.message.author.id,
            message_id=ctx.message.id,
            space=space,
            channel_id=ctx.message.channel.id,
            day=day,
            tokens=tokens,
            at=now.timestamp(),
            seed=tuple(history) if fresh else (),
            ephemeral=ephemeral,
            tools=tuple(rounds.memory),
        )
        try:
            await state.save(exchange)
        except SQLAlchemyError:  # the user still gets the answer; it is only not remembered
            log.exception("could not store the answer to message %s", ctx.message.id)

    async def ask(body: dict[str, Any]) -> Reply:
        if stream:
            return await start_streaming(streamed(state, api, ctx, body, record, rounds))
        return await complete(state, api, ctx, body, record, rounds)

    note = images.dropped_note(unseen) if unseen and settings.vision == "auto" else ""
    try:
        reply = await ask(body)
    except ImagesRefused:
        log.info("model %s refused the images of message %s", model, ctx.message.id)
        state.blind.add((settings.base_url, model))
        if not text:
            raise CommandError(
                "This model cannot look at images, and your message has no text to answer. "
                "Ask in words."
            ) from None
        note = images.dropped_note(pictures)
        reply = await ask({**body, "messages": messages})
    return noted(reply, note)


async def looked_at(
    state: ChatState, ctx: Context, settings: Any, model: str, text: str
) -> tuple[list[images.Image], list[images.Image]]:
    """The message's images to send, and those it has that are not sent (``vision`` off, or a
    model known to refuse them); a CommandError when only images came and none is sent."""
    attached = [a for a in ctx.message.attachments if images.looks_like_image(a)]
    if not attached:
        return [], []
    if settings.vision is False:
        if not text:
            raise CommandError(
                "I do not look at images here (vision is off). Ask your question in words."
            )
        return [], [images.Image(images.clean_name(a.filename), "", b"") for a in attached]
    cap = min(int(settings.max_image_mb * 1024 * 1024), ctx.plugin.max_attachment_bytes)
    found = await images.read(ctx, cap)
    if settings.vision == "auto" and (settings.base_url, model) in state.blind:
        if not text:
            raise CommandError(
                "This model cannot look at images, and your message has no text to answer. "
                "Ask in words."
            )
        return [], found
    return found, []


def noted(reply: Reply, note: str) -> Reply:
    """``reply`` with ``note`` before its text (or its stream)."""
    if not note:
        return reply
    if reply.stream is None:
        return attrs.evolve(reply, text=note + (reply.text or ""))
    rest = reply.stream

    async def first_the_note() -> AsyncIterator[str]:
        yield note
        async for piece in rest:
            yield piece

    return attrs.evolve(reply, stream=first_the_note())


def added(total: client.Usage | None, more: client.Usage | None) -> client.Usage | None:
    """The tokens of several requests (None while no server counted any)."""
    if total is None or more is None:
        return total or more
    return client.Usage(total.prompt + more.prompt, total.completion + more.completion)


def next_body(body: dict[str, Any], told: list[dict[str, Any]], rounds: Rounds) -> dict[str, Any]:
    """The request after a round of tool calls: their results added, tools while any are left."""
    following = {**body, "messages": [*body["messages"], *told]}
    tools = rounds.tools()
    if tools is None:
        following.pop("tools", None)
    return following


async def complete(
    state: ChatState,
    api: openai.AsyncOpenAI,
    ctx: Context,
    body: dict[str, Any],
    record: Record,
    rounds: Rounds,
) -> Reply:
    """Ask for the whole answer at once, each request within one deadline for queueing and
    retries (the only timer of the request besides the SDK's own per attempt); run the
    tools the model calls in between."""
    deadline = HOOK_SHARE * state.hook_timeout
    usage = None
    while True:
        try:
            async with asyncio.timeout(deadline), state.slots:
                answer = await client.complete(api, body)
        except openai.APIError as exc:
            raise refusal(state, ctx, body, exc) from None
        except TimeoutError:  # retries and waiting took so long that the host would cut us off
            log.warning(
                "no answer from model %s within %g s, retries included", body["model"], deadline
            )
            raise CommandError(errors.timed_out(deadline)) from None
        usage = added(usage, answer.usage)
        if not answer.calls or "tools" not in body:
            break
        body = next_body(body, await rounds.run(answer.calls, answer.text), rounds)
    text = clean_text(answer.text)
    if answer.refused:
        log.info("model %s refused to answer message %s", body["model"], ctx.message.id)
        raise CommandError(text or EMPTY_ANSWER)
    if not text.strip():
        raise CommandError(EMPTY_ANSWER)
    await record(text, usage)
    return Reply(text=rounds.trace() + text, files=tuple(rounds.files), speak=True)


async def start_streaming(pieces: AsyncIterator[str]) -> Reply:
    """The streamed reply, once its first piece came: a request that fails before any text
    (or an answer that stays empty) raises CommandError here, not inside the stream."""
    try:
        first = await anext(pieces)
    except StopAsyncIteration:
        raise CommandError(EMPTY_ANSWER) from None

    async def rest() -> AsyncIterator[str]:
        yield first
        async for piece in pieces:
            yield piece

    return Reply(stream=rest(), speak=True)


async def streamed(
    state: ChatState,
    api: openai.AsyncOpenAI,
    ctx: Context,
    body: dict[str, Any],
    record: Record,
    rounds: Rounds,
) -> AsyncIterator[str]:
    """Yield the answer as it is written; the usage chunk at the end gives the tokens. Each
    round of tool calls is run when its request ends, its trace lines yielded.

    A failure before any text raises CommandError; one part-way adds its explanation to the
    text already shown."""
    parts: list[str] = []
    usage = None
    try:
        while True:
            said, pieces = [], []
            async with state.slots:
                async for piece in client.stream(api, body):
                    if isinstance(piece, client.Usage):
                        usage = added(usage, piece)
                    elif isinstance(piece, client.CallPiece):
                        pieces.append(piece)
                    else:
                        piece = clean_text(piece)
                        said.append(piece)
                        yield piece
            parts += said
            calls = client.assemble(pieces)
            if not calls or "tools" not in body:
                break
            told = await rounds.run(calls, "".join(said))
            if rounds.settings.show_tools:
                yield rounds.shown[-1]
            body = next_body(body, told, rounds)
    except openai.APIError as exc:
        if not "".join(parts).strip():
            raise refusal(state, ctx, body, exc) from None
        yield "\n\n" + failure(state, ctx, body, exc)
    answer = "".join(parts)
    if not answer.strip():
        raise CommandError(EMPTY_ANSWER)
    await record(answer, usage)


def refusal(
    state: ChatState, ctx: Context, body: dict[str, Any], exc: openai.APIError
) -> Exception:
    """What a failed request before any text raises: ImagesRefused when images it carried
    were refused under ``vision = "auto"``, else a CommandError with the explanation."""
    settings = ctx.settings or state.settings
    if images.carried(body) and images.refused(exc):
        errors.log_failure(exc, model=body["model"], key=state.api_key)
        if settings.vision == "auto":
            return ImagesRefused()
        return CommandError(
            f"The model `{body['model']}` does not take images. Ask without the image, or "
            f"admins can choose a model that sees them ({ctx.plugin.prefix}model)."
        )
    return CommandError(failure(state, ctx, body, exc))


def failure(state: ChatState, ctx: Context, body: dict[str, Any], exc: openai.APIError) -> str:
    """Log the failed request and return the user's short explanation."""
    errors.log_failure(exc, model=body["model"], key=state.api_key)
    settings = ctx.settings or state.settings
    return errors.describe(
        exc,
        model=body["model"],
        base_url=settings.base_url,
        key_env=settings.api_key_env,
        timeout=settings.request_timeout,
        prefix=ctx.plugin.prefix,
    )
