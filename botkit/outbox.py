"""The way out: every reply, from a command, the answer pipeline or a background task, goes
through the outbox to the adapter, split at the platform's limit."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import attrs

from botkit import buttons, waits
from botkit.adapters.base import Adapter, NoAdapter
from botkit.models import File, Reply, Sent
from botkit.text import clean_text, split_text

STREAM_EDIT_INTERVAL = 1.0  # seconds between edits of a streamed reply


class Outbox:
    """Sends replies through the connected adapter. A reply longer than ``max_messages``
    messages goes as a ``reply.md`` file; a streamed one is posted and edited at most once a
    second where the platform can edit."""

    def __init__(
        self,
        *,
        max_messages: int,
        timeout: float,
        clock: Callable[[], float],
        replied: Callable[[], None] = lambda: None,
    ) -> None:
        self.adapter: Adapter = NoAdapter()
        self.max_messages = max_messages
        self.timeout = timeout
        self.clock = clock
        self.replied = replied  # told of every message sent (metrics)
        self._drafts = itertools.count(1)  # one draft id per streamed reply

    async def send(self, channel: Any, reply: Reply, reply_to: str | None = None) -> list[Sent]:
        """Send text split at the adapter's limit; files go with the last part."""
        self.replied()
        text = clean_text(reply.text)
        chunks = split_text(text, self.adapter.text_limit) or [""]
        files = reply.files
        if len(chunks) > self.max_messages:
            files = (File("reply.md", data=text.encode()), *files)
            chunks = [
                f"The answer is long ({len(text):,} characters), so it is attached as reply.md."
            ]
        sent = []
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            if not chunk and not (last and files):
                continue
            if last and reply.buttons:
                target = reply_to if i == 0 else None
                sent.append(
                    await buttons.send(self.adapter, channel, chunk, files, reply.buttons, target)
                )
                continue
            send = self._answer_send() if reply.answer and i == 0 else self.adapter.send
            sent.append(
                await send(channel, chunk, files if last else (), reply_to if i == 0 else None)
            )
        return sent

    def _answer_send(self) -> Any:
        """The adapter's ``send_answer`` (same arguments as ``send``; it may add rating
        buttons), or its ``send``."""
        return getattr(self.adapter, "send_answer", self.adapter.send)

    async def stream(self, channel: Any, reply: Reply, reply_to: str | None) -> str:
        """Post a streamed reply, editing it at most once a second; return the full text.

        Where the adapter can show a draft (``send_draft(channel, text, draft_id) -> bool``:
        Telegram's native streaming in private chats), the text grows in the draft and is sent
        once, complete; a refused draft falls back to posting and editing."""
        assert reply.stream is not None
        adapter, limit = self.adapter, self.adapter.text_limit
        draft = getattr(adapter, "send_draft", None) if getattr(channel, "is_dm", False) else None
        draft_id = next(self._drafts)
        text, shown, first, last_edit = "", "", None, 0.0
        # A stream may not hang forever (a wait for a person in it does not count).
        async with waits.timeout(self.timeout):
            async for piece in reply.stream:
                text += piece
                if not text.strip():
                    continue
                due = self.clock() - last_edit >= STREAM_EDIT_INTERVAL and text[:limit] != shown
                if draft is not None:
                    if due and await draft(channel, text[:limit], draft_id):
                        shown, last_edit = text[:limit], self.clock()
                    elif due:
                        draft = None  # refused here: post and edit from now on
                    continue
                if not adapter.can_edit:
                    continue
                if first is None:
                    send = self._answer_send() if reply.answer else adapter.send
                    first = await send(channel, text[:limit], (), reply_to)
                    shown, last_edit = text[:limit], self.clock()
                elif due:
                    first = await adapter.edit(first, text[:limit])
                    shown, last_edit = text[:limit], self.clock()
        text = clean_text(text)
        chunks = split_text(text, limit)
        if first is None:
            if chunks or reply.files:
                await self.send(channel, attrs.evolve(reply, stream=None, text=text), reply_to)
            return text
        self.replied()
        if len(chunks) > self.max_messages:
            await adapter.edit(first, chunks[0])
            await self.send(channel, Reply(text=text, files=reply.files))
            return text
        if chunks and chunks[0] != shown:
            await adapter.edit(first, chunks[0])
        rest = "\n".join(chunks[1:])
        if rest or reply.files:
            await self.send(channel, Reply(text=rest, files=reply.files))
        return text
