"""The respond hook: check the limits, build the prompt, ask the model, remember the answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import openai
from sqlalchemy.exc import SQLAlchemyError

from botkit import Context, Reply
from botkit_openai_chat import conversation, errors, prompt, store
from botkit_openai_chat.client import chat_options
from botkit_openai_chat.limits import day_of, duration, until_midnight
from botkit_openai_chat.state import ChatState

log = logging.getLogger("botkit.openai_chat")

EMPTY_ANSWER = "The model sent an empty answer. Please ask again in other words."
HOOK_SHARE = 0.9  # of the host's hook time-out, so that a reply always goes out in time

Record = Callable[[str, int | None], Awaitable[None]]


async def respond(
    state: ChatState, ctx: Context, text: str, snippets: Sequence[str], now: datetime
) -> Reply | str:
    """Answer ``text`` in its conversation, or say briefly why not."""
    settings = state.settings
    if state.client is None:
        return state.missing_key_reply()
    wait = state.rate.wait(ctx.message.author.id)
    if wait:
        return (
            f"You are sending messages faster than {settings.rate_per_minute} a minute. "
            f"Try again in {duration(wait)}."
        )
    guild_key, day = ctx.guild_id or "", day_of(now)
    if settings.daily_token_budget:
        used = await store.tokens_today(ctx.storage, day, guild_key)
        if used >= settings.daily_token_budget:
            where = "This server" if ctx.guild_id else "Direct messages"
            return (
                f"{where} used today's {settings.daily_token_budget:,} tokens. The budget starts "
                f"afresh at 00:00 UTC, in {duration(until_midnight(now).total_seconds())}."
            )
    model, system = await state.guild_choice(ctx)
    chat = await conversation.resolve(ctx)
    history, fresh = await conversation.load(state, ctx, chat)
    messages = prompt.messages(
        system,
        snippets,
        history,
        text,
        max_messages=settings.history_messages,
        max_tokens=settings.history_tokens,
    )
    options = chat_options(settings, model, messages)

    async def record(answer: str, tokens: int | None) -> None:
        if tokens is None:
            tokens = sum(prompt.approx_tokens(m["content"]) for m in messages)
            tokens += prompt.approx_tokens(answer)
        exchange = store.Exchange(
            conversation=chat.key,
            question=text,
            answer=answer,
            user_id=ctx.message.author.id,
            message_id=ctx.message.id,
            guild_key=guild_key,
            day=day,
            tokens=tokens,
            at=now.timestamp(),
            seed=tuple(history) if fresh else (),
        )
        try:
            await state.save(exchange)
        except SQLAlchemyError:  # the user still gets the answer; it is only not remembered
            log.exception("could not store the answer to message %s", ctx.message.id)

    if settings.stream:
        return Reply(stream=streamed(state, ctx, options, record), speak=True)
    return await complete(state, ctx, options, record)


async def complete(
    state: ChatState, ctx: Context, options: dict[str, Any], record: Record
) -> Reply | str:
    """Ask for the whole answer at once."""
    assert state.client is not None
    deadline = HOOK_SHARE * ctx.bot.config.bot.hook_timeout
    try:
        async with asyncio.timeout(deadline), state.slots:
            completion = await state.client.chat.completions.create(**options)
    except openai.APIError as exc:
        return failure(state, ctx, options, exc)
    except TimeoutError:  # retries and waiting took so long that the host would cut us off
        log.warning(
            "no answer from model %s within %g s, retries included", options["model"], deadline
        )
        return errors.timed_out(deadline)
    choice = completion.choices[0] if completion.choices else None
    answer = (choice.message.content or choice.message.refusal or "") if choice else ""
    if not answer.strip():
        return EMPTY_ANSWER
    await record(answer, completion.usage.total_tokens if completion.usage else None)
    return Reply(text=answer, speak=True)


async def streamed(
    state: ChatState, ctx: Context, options: dict[str, Any], record: Record
) -> AsyncIterator[str]:
    """Yield the answer as it is written; the usage chunk at the end gives the tokens."""
    assert state.client is not None
    parts: list[str] = []
    tokens = None
    try:
        async with state.slots:
            stream = await state.client.chat.completions.create(
                **options, stream=True, stream_options={"include_usage": True}
            )
            async with stream:
                async for chunk in stream:
                    if chunk.usage is not None:
                        tokens = chunk.usage.total_tokens
                    for choice in chunk.choices:
                        if choice.delta.content:
                            parts.append(choice.delta.content)
                            yield choice.delta.content
    except openai.APIError as exc:
        yield ("\n\n" if parts else "") + failure(state, ctx, options, exc)
        if not parts:
            return
    answer = "".join(parts)
    if answer.strip():
        await record(answer, tokens)
    else:
        yield EMPTY_ANSWER


def failure(state: ChatState, ctx: Context, options: dict[str, Any], exc: openai.APIError) -> str:
    """Log the failed request and return the user's short explanation."""
    errors.log_failure(exc, model=options["model"], key=state.api_key)
    settings = state.settings
    return errors.describe(
        exc,
        model=options["model"],
        base_url=settings.base_url,
        key_env=settings.api_key_env,
        timeout=settings.request_timeout,
        prefix=ctx.prefix,
    )
