"""The Telegram adapter: Bot API updates in, botkit replies out.

Each update is handled in a task of its own, so one slow answer never delays another; the
adapter tracks each task (``handlers``, ``botkit.adapter.Handlers``), logs what fails in it,
and lets the running ones finish before it closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

import attrs
from aiogram import types
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    GetFile,
    GetMe,
    SendChatAction,
    SendDocument,
    SendMessage,
    SendMessageDraft,
    SendVoice,
    SetMyCommands,
    SetWebhook,
)

from botkit.adapter import (
    AdapterStartError,
    BoundedMap,
    Button,
    Channel,
    File,
    Handlers,
    Host,
    Message,
    Press,
    Reaction,
    ReferencedMessage,
    Sent,
    User,
    remember_secret,
)
from botkit_telegram import buttons, markdown
from botkit_telegram.admins import AdminCache
from botkit_telegram.api import Caller, Redactor, TelegramError, make_bot, valid_token
from botkit_telegram.convert import Converter, chat_of, split_message_id
from botkit_telegram.convert import message_id as compose_id
from botkit_telegram.names import CommandNames
from botkit_telegram.settings import TelegramSettings
from botkit_telegram.updates import ALLOWED_UPDATES, Poller, Revoked, WebhookServer

log = logging.getLogger("botkit.telegram")

TEXT_LIMIT = 4096
KEPT = 10_000
DRAIN_TIMEOUT = 10.0
TYPING_EVERY = 4.5  # Telegram shows "typing…" for 5 s per sendChatAction
HTML = "HTML"
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
TOKEN_HELP = (
    "ask @BotFather for the token (/mybots -> your bot -> API Token) and set TELEGRAM_TOKEN to it"
)


class TelegramStartError(AdapterStartError):
    """The bot cannot run on Telegram; the message is one line saying why and what to do."""


class TelegramAdapter:
    """The botkit Adapter protocol on an aiogram Bot (its HTTP client and types only)."""

    name = "telegram"
    text_limit = TEXT_LIMIT
    can_edit = True
    voice = None  # Telegram has no voice channels; spoken replies are voice notes
    voice_notes = True

    def __init__(
        self,
        settings: TelegramSettings,
        token: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.bot_user_id = ""
        self.username = ""
        self._bot_user = User(id="", name="", is_bot=True)
        self.handlers = Handlers(log)
        self._token = token
        self._redact = Redactor(token)
        remember_secret(token)
        self._clock = clock
        self._sleep = sleep
        self._bot: Host | None = None
        self._client: Any = None
        self._call: Caller | None = None
        self._converter: Converter | None = None
        self._admins: AdminCache | None = None
        self._poller: Poller | None = None
        self._polling: asyncio.Task[None] | None = None
        self._webhook: WebhookServer | None = None
        self._known: BoundedMap[str, ReferencedMessage] = BoundedMap(KEPT)
        self._sent: BoundedMap[str, Channel] = BoundedMap(KEPT)
        self._edited: BoundedMap[str, float] = BoundedMap(KEPT)
        self._keyboards: BoundedMap[str, types.InlineKeyboardMarkup] = BoundedMap(KEPT)
        self._closed = asyncio.Event()
        self._closing = False
        self._observed = True

    def __repr__(self) -> str:
        return f"<TelegramAdapter bot_user_id={self.bot_user_id!r}>"

    @property
    def tasks(self) -> set[asyncio.Task[Any]]:
        """The update handlers running now."""
        return self.handlers.tasks

    @property
    def call(self) -> Caller:
        if self._call is None:
            raise RuntimeError("the Telegram adapter is not connected")
        return self._call

    # --- life cycle ---

    async def connect(self, bot: Host) -> None:
        """Check the token with getMe, then set up polling or the webhook and the commands.

        Raises TelegramStartError (one line) when the Bot API is unreachable or refuses.
        """
        self._bot = bot
        if not self._token:
            raise TelegramStartError(
                "TELEGRAM_TOKEN is not set; export it, or choose another adapter with --adapter"
            )
        if not valid_token(self._token):
            raise TelegramStartError(
                f"TELEGRAM_TOKEN is not a bot token (digits:letters); {TOKEN_HELP}"
            )
        self._client = make_bot(self._token, self.settings.base_url)
        self._call = Caller(self._client, self._redact, self.settings.max_retry_after, self._sleep)
        me = await login(self.call, self.settings)
        self.bot_user_id, self.username = str(me.id), me.username or ""
        self._bot_user = User(id=self.bot_user_id, name=self.username, is_bot=True)
        names = CommandNames.of(bot.command_list())
        self._converter = Converter(me, names, bot.prefix, self._reader)
        self._admins = AdminCache(
            self._member_status, self.settings.admin_cache_seconds, self._clock
        )
        self._observed = bot.observed
        if not me.can_read_all_group_messages:
            log.info(
                "privacy mode is on: in groups the bot sees commands, mentions and replies to "
                "it only (BotFather -> /setprivacy to change, or make the bot a group admin)"
            )
        if self.settings.webhook:
            await self._start_webhook()
        else:
            await self._request_or_fail(DeleteWebhook(drop_pending_updates=False), "deleteWebhook")
            self._poller = Poller(self.call, self.settings.poll_timeout, self._sleep)
        if self.settings.sync_commands:
            await self._request_or_fail(set_commands(names), "setMyCommands")
            log.info("registered %d command(s) with setMyCommands", len(names.listed))
        log.info("connected to Telegram as @%s (%s)", self.username, self.bot_user_id)

    async def _start_webhook(self) -> None:
        secret = os.environ.get(WEBHOOK_SECRET_ENV, "").strip() or secrets.token_urlsafe(32)
        server = WebhookServer(self._client, self.settings.webhook_path, secret, self._feed)
        host, port = self.settings.webhook_listen, self.settings.webhook_port
        try:
            await server.start(host, port)
        except OSError as exc:
            raise TelegramStartError(
                f"cannot listen for the webhook on {host}:{port}: {exc.strerror or exc}"
            ) from None
        self._webhook = server
        method = SetWebhook(
            url=self.settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )
        await self._request_or_fail(method, "setWebhook")
        log.info("webhook set; listening on %s:%s%s", host, server.port, server.path)

    async def _request_or_fail(self, method: Any, name: str) -> Any:
        try:
            return await self.call(method, request_timeout=int(self.settings.connect_timeout))
        except TelegramError as exc:
            raise TelegramStartError(f"Telegram refused {name}: {exc}") from None

    async def run(self) -> None:
        """Take updates until closed; a token revoked meanwhile raises TelegramStartError."""
        if self._poller is None:
            await self._closed.wait()
            return
        if self._closing:
            return
        self._polling = asyncio.create_task(self._poller.run(self._feed), name="telegram-polling")
        try:
            await self._polling
        except asyncio.CancelledError:
            if not self._closing:
                raise
        except Revoked as exc:
            raise TelegramStartError(f"Telegram stopped accepting the token: {exc}") from None

    async def close(self) -> None:
        """Stop taking updates, let running handlers finish, then close the HTTP session."""
        if self._closing:
            return
        self._closing = True
        self._closed.set()
        if self._polling is not None and not self._polling.done():
            self._polling.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._polling
        if self._webhook is not None:
            await self._webhook.stop()
        await self.idle(DRAIN_TIMEOUT)
        if self._poller is not None:
            await self._poller.confirm()
        if self._client is not None:
            await self._client.session.close()

    async def idle(self, drain: float | None = None) -> None:
        """Wait until every update taken so far has been handled (cancel any left after
        ``drain`` seconds)."""
        await self.handlers.drain(drain)

    # --- updates ---

    def _feed(self, update: types.Update) -> None:
        """Handle the update in a task of its own (the handler chosen here, one await less)."""
        if self._closing:
            return
        work: Coroutine[Any, Any, None]
        if update.message is not None:
            work = self._on_message(update.message)
        elif update.message_reaction is not None:
            work = self._on_reaction(update.message_reaction)
        elif update.callback_query is not None:
            work = self._on_press(update.callback_query)
        else:
            return
        self.handlers.spawn(work, f"telegram update {update.update_id}")

    async def _on_message(self, update: types.Message) -> None:
        assert self._converter is not None and self._bot is not None
        converted = self._converter.message(update, self._known.get)
        if converted is None:
            return
        message, command = converted
        if message.author.is_bot:
            return
        wanted = command is not None or self._wants(message)
        if not wanted and not self._observed:
            return
        self._remember(ReferencedMessage(message.id, message.author, message.content))
        if wanted and not message.channel.is_dm:
            message = await self._with_admin(message)
        if wanted and await self._refused_too_large(message):
            return
        if command is not None:  # /name args: the host runs the command named, never re-parsed
            await self._bot.handle_invocation(message, *command)
        else:
            await self._bot.handle(message)

    def _wants(self, message: Message) -> bool:
        assert self._bot is not None
        return self._bot.wants(message)

    async def _with_admin(self, message: Message) -> Message:
        return attrs.evolve(message, author=await self._admin_flag(message.channel, message.author))

    async def _admin_flag(self, channel: Channel, user: User) -> User:
        """``user`` marked admin when they administer the group ``channel``."""
        assert self._admins is not None
        chat, _ = chat_of(channel.id)
        if channel.is_dm or not await self._admins.is_admin(chat, int(user.id)):
            return user
        return attrs.evolve(user, is_admin=True)

    async def _member_status(self, chat_id: int, user_id: int) -> str:
        member = await self.call(GetChatMember(chat_id=chat_id, user_id=user_id))
        return str(member.status)

    async def _refused_too_large(self, message: Message) -> bool:
        limit = self.settings.max_download_mb
        big = next((a for a in message.attachments if a.size > limit * 1024 * 1024), None)
        if big is None:
            return False
        log.info(
            "message %s: %s is %d bytes, over the download limit",
            message.id,
            big.filename,
            big.size,
        )
        await self.send(
            message.channel,
            f"That file is too large for me: bots can download files of up to {limit:g} MB "
            f"from Telegram, and {big.filename} is {big.size / 1024 / 1024:.1f} MB. "
            "Send a shorter recording or a smaller file.",
            (),
            message.id,
        )
        return True

    def _reader(self, file_id: str, size: int) -> Callable[[], Awaitable[bytes]]:
        async def read() -> bytes:
            limit = self.settings.max_download_mb * 1024 * 1024
            if size > limit:
                raise TelegramError(
                    f"the file is over the {self.settings.max_download_mb:g} MB limit"
                )
            found = await self.call(GetFile(file_id=file_id))
            if not found.file_path:
                raise TelegramError("Telegram gave no path for the file")
            return await self.call.download(found.file_path)

        return read

    async def _on_reaction(self, update: types.MessageReactionUpdated) -> None:
        assert self._bot is not None and self._converter is not None
        target = compose_id(update.chat.id, update.message_id)
        channel = self._sent.get(target)
        if channel is None or update.user is None or self._closing:
            return  # only reactions to the bot's own messages, from users
        user = self._converter.user(update.user)
        old, new = _emojis(update.old_reaction), _emojis(update.new_reaction)
        changes = [(e, True) for e in new if e not in old] + [
            (e, False) for e in old if e not in new
        ]
        for emoji, added in changes:
            await self._bot.handle_reaction(Reaction(target, emoji, added, user, channel))

    async def _on_press(self, query: types.CallbackQuery) -> None:
        """A button pressed: answered at once (the app stops its spinner), then a Press by
        the user who pressed it, under the message it belongs to."""
        assert self._bot is not None and self._converter is not None
        try:
            await self.call(AnswerCallbackQuery(callback_query_id=query.id))
        except TelegramError as exc:
            log.info("callback query %s not answered: %s", query.id, exc)
        message = query.message
        if message is None or not query.data or query.from_user.is_bot or self._closing:
            return
        target = compose_id(message.chat.id, message.message_id)
        channel = self._sent.get(target)
        if channel is None and isinstance(message, types.Message):
            channel = self._converter.channel(message)
        if channel is None:
            return  # an old message Telegram no longer shows the bot
        user = await self._admin_flag(channel, self._converter.user(query.from_user))
        await self._bot.handle_press(Press(target, query.data, user, channel))

    def _remember(self, message: ReferencedMessage) -> None:
        self._known[message.id] = message

    # --- sending ---

    async def send_dm(self, user_id: str, text: str) -> Sent:
        """A direct message to a user (a private chat's id is the user's; the user must have
        started the bot)."""
        return await self.send(Channel(id=user_id), text, (), None)

    async def send(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        """Text first, then each file (a voice note when ``File.voice``), as one reply."""
        return await self._send(channel, text, files, reply_to, None)

    async def send_answer(
        self, channel: Channel, text: str, files: tuple[File, ...], reply_to: str | None
    ) -> Sent:
        """An answer of the host's answer pipeline (``Reply.answer``): as :meth:`send`, with
        👍/👎 buttons under it when ``rating_buttons`` is on."""
        markup = buttons.keyboard(buttons.RATINGS) if self.settings.rating_buttons else None
        return await self._send(channel, text, files, reply_to, markup)

    async def send_draft(self, channel: Channel, text: str, draft_id: int) -> bool:
        """Show a streamed answer growing in a private chat (``sendMessageDraft``); False when
        Telegram refuses it (a group, an older Bot API), so the host posts and edits instead."""
        if not channel.is_dm:
            return False
        chat, _ = chat_of(channel.id)
        try:
            await self.call(SendMessageDraft(chat_id=int(chat), draft_id=draft_id, text=text))
        except TelegramError as exc:
            log.info("draft refused in chat %s (%s); editing a message instead", chat, exc)
            return False
        return True

    async def send_buttons(
        self,
        channel: Channel,
        text: str,
        files: tuple[File, ...],
        options: tuple[Button, ...],
        reply_to: str | None,
    ) -> Sent:
        """One reply with ``options`` as an inline keyboard under its first message."""
        return await self._send(channel, text, files, reply_to, buttons.keyboard(options))

    async def clear_buttons(self, channel: Channel, message_id: str) -> None:
        """Remove the keyboard under ``message_id``: the question has been answered."""
        target = split_message_id(message_id)
        if target is None or self._keyboards.pop(message_id, None) is None:
            return
        try:
            await self.call(
                EditMessageReplyMarkup(
                    chat_id=int(target[0]), message_id=target[1], reply_markup=buttons.NONE
                )
            )
        except TelegramError as exc:
            log.info("buttons under message %s left as they were: %s", message_id, exc)

    async def _send(
        self,
        channel: Channel,
        text: str,
        files: tuple[File, ...],
        reply_to: str | None,
        markup: types.InlineKeyboardMarkup | None,
    ) -> Sent:
        chat, topic = chat_of(channel.id)
        reply = _reply_parameters(chat, reply_to)
        sent: list[types.Message] = []
        if text.strip():
            sent.append(await self._send_text(chat, topic, text, reply, markup))
        for file in files:
            first = not sent
            sent.append(
                await self._send_file(
                    chat, topic, file, reply if first else None, markup if first else None
                )
            )
        if not sent:
            raise ValueError("nothing to send: no text and no files")
        first = sent[0]
        result = Sent(
            id=compose_id(chat, first.message_id), channel_id=channel.id, text=text, files=files
        )
        if markup is not None:
            self._keyboards[result.id] = markup
        bot_user = self._bot_user
        for each in sent:
            key = compose_id(chat, each.message_id)
            self._remember(ReferencedMessage(key, bot_user, each.text or "", reply_to))
            self._sent[key] = channel
        return result

    async def _send_text(
        self,
        chat: int,
        topic: int | None,
        text: str,
        reply: types.ReplyParameters | None,
        markup: types.InlineKeyboardMarkup | None = None,
    ) -> types.Message:
        common: dict[str, Any] = {
            "chat_id": chat,
            "message_thread_id": topic,
            "reply_parameters": reply,
            "reply_markup": markup,
        }
        html = markdown.to_html(text)
        if html == text:  # nothing to format: no parse mode for Telegram to trip over
            return await self.call(SendMessage(text=text, **common))
        try:
            return await self.call(SendMessage(text=html, parse_mode=HTML, **common))
        except TelegramError as exc:
            if not exc.unparsable:
                raise
            log.warning("Telegram could not parse the formatting (%s); sent as plain text", exc)
        return await self.call(SendMessage(text=text, **common))

    async def _send_file(
        self,
        chat: int,
        topic: int | None,
        file: File,
        reply: types.ReplyParameters | None,
        markup: types.InlineKeyboardMarkup | None = None,
    ) -> types.Message:
        data = await asyncio.to_thread(file.read_bytes)
        upload = types.BufferedInputFile(data, filename=file.filename)
        common: dict[str, Any] = {
            "chat_id": chat,
            "message_thread_id": topic,
            "reply_parameters": reply,
            "reply_markup": markup,
        }
        if file.voice:
            duration = round(file.duration) if file.duration else None
            return await self.call(SendVoice(voice=upload, duration=duration, **common))
        return await self.call(SendDocument(document=upload, **common))

    async def edit(self, sent: Sent, text: str) -> Sent:
        """Replace the text, no more often than Telegram allows in that kind of chat."""
        target = split_message_id(sent.id)
        if target is None:
            raise ValueError(f"{sent.id!r} is not a Telegram message id")
        chat, number = target
        await self._throttle(sent)
        common: dict[str, Any] = {
            "chat_id": int(chat),
            "message_id": number,
            "reply_markup": self._keyboards.get(sent.id),  # an edit without it drops the keyboard
        }
        try:
            try:
                await self.call(
                    EditMessageText(text=markdown.to_html(text), parse_mode=HTML, **common)
                )
            except TelegramError as exc:
                if not exc.unparsable:
                    raise
                log.warning(
                    "Telegram could not parse the formatting (%s); edited as plain text", exc
                )
                await self.call(EditMessageText(text=text, parse_mode=None, **common))
        except TelegramError as exc:
            if not exc.not_modified:
                raise
        known = self._known.get(sent.id)
        if known is not None:
            self._known[sent.id] = attrs.evolve(known, content=text)
        return attrs.evolve(sent, text=text)

    async def _throttle(self, sent: Sent) -> None:
        private = not sent.channel_id.startswith("-")
        interval = (
            self.settings.private_edit_interval if private else self.settings.group_edit_interval
        )
        last = self._edited.get(sent.id)
        if last is not None:
            wait = last + interval - self._clock()
            if wait > 0:
                await self._sleep(wait)
        self._edited[sent.id] = self._clock()

    async def fetch_message(self, channel: Channel, message_id: str) -> ReferencedMessage | None:
        """A message of this chat the bot has seen (the Bot API cannot fetch others)."""
        chat, _ = chat_of(channel.id)
        value = message_id.strip()
        key = compose_id(chat, value) if value.isdigit() else value
        target = split_message_id(key)
        if target is None or target[0] != str(chat):
            return None
        return self._known.get(key)

    @asynccontextmanager
    async def typing(self, channel: Channel) -> AsyncIterator[None]:
        """Show "typing…" while the block runs, renewed before Telegram's 5 s run out."""
        chat, topic = chat_of(channel.id)
        indicator = asyncio.create_task(self._keep_typing(chat, topic))
        try:
            yield
        finally:
            indicator.cancel()
            with suppress(asyncio.CancelledError):
                await indicator

    async def _keep_typing(self, chat: int, topic: int | None) -> None:
        while True:
            try:
                await self.call(
                    SendChatAction(chat_id=chat, action="typing", message_thread_id=topic)
                )
            except TelegramError as exc:
                log.info("no typing indicator in chat %s: %s", chat, exc)
                return
            await asyncio.sleep(TYPING_EVERY)


async def login(call: Caller, settings: TelegramSettings) -> types.User:
    """getMe, with a rejected token or an unreachable server as one TelegramStartError line."""
    try:
        async with asyncio.timeout(settings.connect_timeout):
            return await call(GetMe(), request_timeout=int(settings.connect_timeout))
    except TimeoutError:
        raise TelegramStartError(
            f"the Bot API at {settings.base_url} did not answer within "
            f"{settings.connect_timeout:g} s; check the network and [telegram] base_url"
        ) from None
    except TelegramError as exc:
        if exc.kind == "unauthorized":
            raise TelegramStartError(f"Telegram rejected TELEGRAM_TOKEN; {TOKEN_HELP}") from None
        if exc.kind == "network":
            raise TelegramStartError(
                f"cannot reach the Bot API at {settings.base_url} ({exc}); "
                "check the network and [telegram] base_url"
            ) from None
        raise TelegramStartError(f"the Bot API refused getMe: {exc}") from None


def set_commands(names: CommandNames) -> SetMyCommands:
    return SetMyCommands(
        commands=[
            types.BotCommand(command=c.command, description=c.description) for c in names.listed
        ]
    )


def _reply_parameters(chat: int, reply_to: str | None) -> types.ReplyParameters | None:
    target = split_message_id(reply_to) if reply_to else None
    if target is None or target[0] != str(chat):
        return None
    return types.ReplyParameters(message_id=target[1], allow_sending_without_reply=True)


def _emojis(reactions: list[Any]) -> list[str]:
    return [r.emoji for r in reactions if getattr(r, "type", "") == "emoji"]
