"""The respond hook: check the limits, build the prompt, ask the model, remember the answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import openai
from sqlalchemy.exc import SQLAlchemyError

from botkit import CommandError, Context, Reply, clean_text, count_tokens
from botkit_openai_chat import client, conversation, errors, prompt, store
from botkit_openai_chat.limits import day_of, duration, until_midnight
from botkit_openai_chat.state import ChatState

log = logging.getLogger("botkit.openai_chat")

EMPTY_ANSWER = "The model sent an empty answer. Please ask again in other words."
HOOK_SHARE = 0.9  # of the host's hook time-out, so that a reply always goes out in time

Record = Callable[[str, client.Usage | None], Awaitable[None]]


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
    body = client.chat_body(settings, model, messages, stream=stream)

    async def record(answer: str, usage: client.Usage | None) -> None:
        if usage is None:  # a server that does not count: estimate
            usage = client.Usage(
                sum(prompt.approx_tokens(m["content"]) for m in messages),
                prompt.approx_tokens(answer),
            )
        tokens = usage.prompt + usage.completion
        count_tokens(ctx.plugin, usage.prompt, usage.completion)
        exchange = store.Exchange(
            conversation=chat.key,
            question=text,
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
        )
        try:
            await state.save(exchange)
        except SQLAlchemyError:  # the user still gets the answer; it is only not remembered
            log.exception("could not store the answer to message %s", ctx.message.id)

    if stream:
        return await start_streaming(streamed(state, api, ctx, body, record))
    return await complete(state, api, ctx, body, record)


async def complete(
    state: ChatState, api: openai.AsyncOpenAI, ctx: Context, body: dict[str, Any], record: Record
) -> Reply:
    """Ask for the whole answer at once, within one deadline for queueing and retries (the
    only timer of the request besides the SDK's own per attempt)."""
    deadline = HOOK_SHARE * state.hook_timeout
    try:
        async with asyncio.timeout(deadline), state.slots:
            answer = await client.complete(api, body)
    except openai.APIError as exc:
        raise CommandError(failure(state, ctx, body, exc)) from None
    except TimeoutError:  # retries and waiting took so long that the host would cut us off
        log.warning(
            "no answer from model %s within %g s, retries included", body["model"], deadline
        )
        raise CommandError(errors.timed_out(deadline)) from None
    text = clean_text(answer.text)
    if answer.refused:
        log.info("model %s refused to answer message %s", body["model"], ctx.message.id)
        raise CommandError(text or EMPTY_ANSWER)
    if not text.strip():
        raise CommandError(EMPTY_ANSWER)
    await record(text, answer.usage)
    return Reply(text=text, speak=True)


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
    state: ChatState, api: openai.AsyncOpenAI, ctx: Context, body: dict[str, Any], record: Record
) -> AsyncIterator[str]:
    """Yield the answer as it is written; the usage chunk at the end gives the tokens.

    A failure before any text raises CommandError; one part-way adds its explanation to the
    text already shown."""
    parts: list[str] = []
    usage = None
    try:
        async with state.slots:
            async for piece in client.stream(api, body):
                if isinstance(piece, client.Usage):
                    usage = piece
                else:
                    piece = clean_text(piece)
                    parts.append(piece)
                    yield piece
    except openai.APIError as exc:
        explanation = failure(state, ctx, body, exc)
        if not "".join(parts).strip():
            raise CommandError(explanation) from None
        yield "\n\n" + explanation
    answer = "".join(parts)
    if not answer.strip():
        raise CommandError(EMPTY_ANSWER)
    await record(answer, usage)


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
        prefix=ctx.prefix,
    )
