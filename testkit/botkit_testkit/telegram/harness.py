"""A bot with chosen plugins, running on the Telegram adapter against the fake Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import attrs
from botkit_telegram.adapter import TelegramAdapter
from botkit_telegram.spec import adapter as telegram_spec

from botkit.testing import Bot, adapter_setup, build_bot
from botkit_testkit.telegram.server import Call, FakeTelegram, Upload

OWNER_ID = 1
MESSAGE_METHODS = frozenset({"sendMessage", "sendDocument", "sendVoice"})


class Replies(list[Call]):
    """The messages the bot sent while handling one update; ``calls`` has every request."""

    def __init__(self, calls: Iterable[Call], fake: FakeTelegram) -> None:
        self.calls = list(calls)
        super().__init__(c for c in self.calls if c.ok and c.method in MESSAGE_METHODS)
        self._fake = fake

    def messages(self) -> list[dict[str, Any]]:
        """The sent messages as they are now (edits applied)."""
        found = []
        for call in self:
            key = (call.result["chat"]["id"], call.result["message_id"])
            found.append(self._fake.messages.get(key, call.result))
        return found

    @property
    def text(self) -> str:
        """The visible text of every sent message, edits applied, one per line."""
        return "\n".join(
            m.get("text") or m.get("caption") or ""
            for m in self.messages()
            if m.get("text") or m.get("caption")
        )

    @property
    def uploads(self) -> list[Upload]:
        return [u for call in self for u in call.uploads.values()]

    @property
    def methods(self) -> list[str]:
        """The Bot API methods called, in order (the long polling itself left out)."""
        return [c.method for c in self.calls if c.method != "getUpdates"]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


@attrs.define
class TelegramHarness:
    """``send`` plays a user's message and returns what the bot sent in answer."""

    fake: FakeTelegram
    bot: Bot
    adapter: TelegramAdapter
    owner: dict[str, Any]
    admin: dict[str, Any]
    member: dict[str, Any]
    group: dict[str, Any]
    sleeps: list[float]

    @property
    def data_dir(self) -> Path:
        return self.bot.config.data_dir

    def dm(self, user: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.fake.private(user or self.owner)

    async def send(
        self,
        text: str = "",
        *,
        chat: dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Replies:
        """A user writes (in a private chat with the owner unless told); the bot's answer."""
        user = user or self.owner
        chat = chat or self.fake.private(user)
        mark = len(self.fake.account.calls)
        update_id, _ = await self.fake.say(chat, user, text, **kwargs)
        await self.settle(update_id)
        return Replies(self.fake.account.calls[mark:], self.fake)

    async def react(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        message_id: int,
        new: list[str],
        old: list[str] | None = None,
    ) -> Replies:
        mark = len(self.fake.account.calls)
        update_id = await self.fake.react(chat, user, message_id, new, old or [])
        await self.settle(update_id)
        return Replies(self.fake.account.calls[mark:], self.fake)

    async def press(
        self, message: dict[str, Any], data: str, user: dict[str, Any] | None = None
    ) -> Replies:
        """``user`` (default: the owner) presses the inline button ``data`` under the bot's
        ``message`` (as sent); what the bot did in answer (``of("answerCallbackQuery")``)."""
        mark = len(self.fake.account.calls)
        update_id, _ = await self.fake.press(
            message["chat"], user or self.owner, message["message_id"], data
        )
        await self.settle(update_id)
        return Replies(self.fake.account.calls[mark:], self.fake)

    async def settle(self, update_id: int) -> None:
        """Wait until the adapter took the update and every handler has finished."""
        await self.fake.confirmed(update_id)
        await self.adapter.idle()


@asynccontextmanager
async def start_telegram(
    plugins: Mapping[str, object] = {},
    *,
    data_dir: Path,
    config: Mapping[str, Any] | None = None,
    fake: FakeTelegram | None = None,
    clock: Callable[[], float] | None = None,
    token: str | None = None,
) -> AsyncIterator[TelegramHarness]:
    """Start the fake server and a bot on the Telegram adapter; stop both afterwards.

    ``config`` holds TOML sections; ``[telegram]`` defaults to the fake's base URL and a
    1-second long poll. The owner (user id 1) is in ``[bot] owner_ids``. Flood-control waits
    are recorded in ``sleeps`` instead of slept. ``token`` replaces the fake's own token.
    """
    raw = {k: dict(v) for k, v in (config or {}).items()}
    raw.setdefault("bot", {}).setdefault("data_dir", str(data_dir))
    raw["bot"].setdefault("owner_ids", [str(OWNER_ID)])
    own = fake is None
    fake = fake or FakeTelegram()
    if own:
        await fake.start()
    raw["telegram"] = {"base_url": fake.base_url, "poll_timeout": 1, **raw.get("telegram", {})}
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    bot = build_bot(plugins, config=raw, data_dir=data_dir)
    adapter = TelegramAdapter(
        adapter_setup(bot, telegram_spec).settings,
        fake.token if token is None else token,
        sleep=record,
        **({"clock": clock} if clock else {}),
    )
    owner = fake.user("Olga", username="olga", id=OWNER_ID)
    admin = fake.user("Ada", username="ada_admin")
    member = fake.user("Max", username="max_member")
    group = fake.group("botkit testers")
    fake.set_member(group, admin, "administrator")
    try:
        await adapter.connect(bot)
        await bot.start(adapter)
        running = asyncio.create_task(adapter.run())
        try:
            yield TelegramHarness(fake, bot, adapter, owner, admin, member, group, sleeps)
        finally:
            await adapter.close()
            with suppress(asyncio.CancelledError):
                await running
            await bot.stop()
    finally:
        await adapter.close()
        if own:
            await fake.stop()
