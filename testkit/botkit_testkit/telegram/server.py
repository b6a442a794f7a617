"""A local Bot API server: the endpoints and JSON shapes of https://core.telegram.org/bots/api.

Any client library reaches it through its base URL setting (``/bot<token>/<method>`` and
``/file/bot<token>/<path>``). It keeps a small world (users, chats, messages, files), queues
updates for getUpdates long polling or posts them to a webhook, and records every call.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from contextlib import suppress
from typing import Any

import aiohttp
import attrs
from aiohttp import web

from botkit_testkit.telegram.entities import EntityError, parse_html

TOKEN = "123456789:AAHfakeTokenForTests_0123456789abcdef"
BOT_ID = 123456789
BOT_USERNAME = "botkit_test_bot"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024
EPOCH = 1_764_000_000
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
# what getUpdates sends when allowed_updates was never given
DEFAULT_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "my_chat_member",
    }
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ApiError(Exception):
    """An answer with ``ok: false``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@attrs.frozen
class Upload:
    """A file a client uploaded (multipart)."""

    filename: str
    data: bytes = attrs.field(repr=False)
    content_type: str = ""


@attrs.define
class Call:
    """One Bot API request and the fake's answer."""

    method: str
    params: dict[str, Any]
    uploads: dict[str, Upload] = attrs.Factory(dict)
    status: int = 200
    result: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")


@attrs.define
class StoredFile:
    file_id: str
    unique_id: str
    path: str
    data: bytes = attrs.field(repr=False)


@attrs.define
class Account:
    """One bot (token) on the server: its identity, updates, webhook and commands."""

    token: str
    user: dict[str, Any]
    privacy: bool = True
    updates: list[dict[str, Any]] = attrs.Factory(list)
    allowed_updates: frozenset[str] = DEFAULT_UPDATES
    confirmed: int = 0  # every update_id below this has been confirmed by an offset
    webhook: dict[str, Any] | None = None
    commands: list[dict[str, str]] = attrs.Factory(list)
    calls: list[Call] = attrs.Factory(list)
    arrived: asyncio.Condition = attrs.Factory(asyncio.Condition)


def _mime(data: bytes) -> str:
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data[:3] == b"ID3" or data[:2] == b"\xff\xfb":
        return "audio/mpeg"
    return "application/octet-stream"


def is_ogg_opus(data: bytes) -> bool:
    """An Ogg stream whose first packet is an Opus header (what Telegram plays as a voice note)."""
    return data.startswith(b"OggS") and b"OpusHead" in data[:512]


class FakeTelegram:
    """The server; ``await start()``, then point the client's base URL at ``base_url``."""

    def __init__(self, token: str = TOKEN, *, bot_id: int = BOT_ID, username: str = BOT_USERNAME):
        self.accounts: dict[str, Account] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.floods: dict[str, list[int]] = {}
        self.callback_queries: dict[str, bool] = {}  # id -> answered with answerCallbackQuery
        self.drafts: list[tuple[int, int, str]] = []  # (chat id, draft id, text) as streamed
        self.reject_entities = False
        self.unreachable_webhook = False
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._stopping = asyncio.Event()
        self.port = 0
        self.account = self.add_bot(token, bot_id, username)

    # --- the server ---

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return self.account.token

    @property
    def bot_user(self) -> dict[str, Any]:
        return self.account.user

    async def start(self, port: int = 0) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._stopping.set()
        for account in self.accounts.values():
            async with account.arrived:
                account.arrived.notify_all()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- the world ---

    def add_bot(self, token: str, bot_id: int, username: str, *, privacy: bool = True) -> Account:
        user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": username.removesuffix("_bot"),
            "username": username,
        }
        self.users[bot_id] = user
        account = Account(token=token, user=user, privacy=privacy)
        self.accounts[token] = account
        return account

    def user(
        self,
        first_name: str,
        *,
        username: str | None = None,
        id: int | None = None,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        uid = id if id is not None else 1000 + next(self._ids)
        user: dict[str, Any] = {"id": uid, "is_bot": is_bot, "first_name": first_name}
        if username:
            user["username"] = username
        self.users[uid] = user
        return user

    def private(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        self.chats[chat["id"]] = chat
        return chat

    def group(
        self, title: str, *, supergroup: bool = True, forum: bool = False, id: int | None = None
    ) -> dict[str, Any]:
        cid = id if id is not None else -(1_000_000_000_000 + next(self._ids))
        chat: dict[str, Any] = {
            "id": cid,
            "type": "supergroup" if supergroup else "group",
            "title": title,
        }
        if forum:
            chat["is_forum"] = True
        self.chats[cid] = chat
        return chat

    def set_member(self, chat: dict[str, Any], user: dict[str, Any], status: str) -> None:
        """``creator``, ``administrator``, ``member``, ``restricted``, ``left`` or ``kicked``."""
        self.members[(chat["id"], user["id"])] = status

    def topic(self, chat: dict[str, Any], name: str, creator: dict[str, Any]) -> int:
        """Open a forum topic; its id is the id of its service message."""
        header = self._new_message(chat, creator)
        header["forum_topic_created"] = {"name": name, "icon_color": 7322096}
        header["message_thread_id"] = header["message_id"]
        header["is_topic_message"] = True
        return int(header["message_id"])

    def add_file(self, data: bytes, *, name: str = "file") -> StoredFile:
        n = next(self._ids)
        stored = StoredFile(f"FILE{n:06d}{'x' * 20}", f"U{n:06d}", f"documents/{n}_{name}", data)
        self.files[stored.file_id] = stored
        return stored

    def _new_message(
        self, chat: dict[str, Any], sender: dict[str, Any], thread: int | None = None
    ) -> dict[str, Any]:
        counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
        number = next(counter)
        message: dict[str, Any] = {
            "message_id": number,
            "from": sender,
            "chat": chat,
            "date": EPOCH + number,
        }
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        self.messages[(chat["id"], number)] = message
        return message

    def message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        text: str = "",
        *,
        reply_to: int | None = None,
        topic: int | None = None,
        voice: bytes | None = None,
        duration: int = 1,
        audio: tuple[str, bytes] | None = None,
        document: tuple[str, bytes, str] | None = None,
        size: int | None = None,
    ) -> dict[str, Any]:
        """A user's message as Telegram delivers it (entities for commands and @mentions)."""
        message = self._new_message(chat, sender, topic)
        media = voice is not None or audio is not None or document is not None
        if text:
            message["caption" if media else "text"] = text
            entities = _entities(text)
            if entities:
                message["caption_entities" if media else "entities"] = entities
        replied = reply_to if reply_to is not None else topic
        if replied is not None:
            quoted = self.messages.get((chat["id"], replied))
            if quoted is None:
                raise KeyError(f"no message {replied} in chat {chat['id']}")
            message["reply_to_message"] = {
                k: v for k, v in quoted.items() if k != "reply_to_message"
            }
        if voice is not None:
            stored = self.add_file(voice, name="voice.oga")
            message["voice"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": size if size is not None else len(voice),
            }
        if audio is not None:
            name, data = audio
            stored = self.add_file(data, name=name)
            message["audio"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "duration": duration,
                "file_name": name,
                "mime_type": _mime(data),
                "file_size": size if size is not None else len(data),
            }
        if document is not None:
            name, data, mime = document
            stored = self.add_file(data, name=name)
            message["document"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "file_name": name,
                "mime_type": mime,
                "file_size": size if size is not None else len(data),
            }
        return message

    async def push(self, kind: str, payload: dict[str, Any], account: Account | None = None) -> int:
        """Queue an update (or post it to the webhook); its update_id."""
        account = account or self.account
        update = {"update_id": next(self._update_ids), kind: payload}
        if account.webhook is not None:
            await self._post_webhook(account, update)
            return int(update["update_id"])
        async with account.arrived:
            account.updates.append(update)
            account.arrived.notify_all()
        return int(update["update_id"])

    async def push_many(
        self, kind: str, payloads: list[dict[str, Any]], account: Account | None = None
    ) -> None:
        """Queue several updates at once (one getUpdates answer can then carry them all)."""
        account = account or self.account
        updates = [{"update_id": next(self._update_ids), kind: p} for p in payloads]
        if account.webhook is not None:
            for update in updates:
                await self._post_webhook(account, update)
            return
        async with account.arrived:
            account.updates.extend(updates)
            account.arrived.notify_all()

    async def say(
        self, chat: dict[str, Any], sender: dict[str, Any], text: str = "", **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        """A user writes in a chat: (update_id, the message)."""
        message = self.message(chat, sender, text, **kwargs)
        return await self.push("message", message), message

    async def react(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        message_id: int,
        new: list[str],
        old: list[str] = (),  # type: ignore[assignment]
    ) -> int:
        return await self.push(
            "message_reaction",
            {
                "chat": chat,
                "message_id": message_id,
                "user": sender,
                "date": EPOCH,
                "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
                "new_reaction": [{"type": "emoji", "emoji": e} for e in new],
            },
        )

    async def press(
        self, chat: dict[str, Any], sender: dict[str, Any], message_id: int, data: str
    ) -> tuple[int, str]:
        """A user presses the inline button with ``callback_data`` ``data`` under the bot's
        message: (update_id, the callback query's id, answered or not in ``callback_queries``)."""
        message = self.messages.get((chat["id"], message_id))
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat['id']}")
        offered = [
            b.get("callback_data")
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ]
        if data not in offered:
            raise KeyError(f"message {message_id} has no button {data!r}; it has {offered}")
        query_id = str(next(self._ids) * 1_000_003)
        self.callback_queries[query_id] = False
        update_id = await self.push(
            "callback_query",
            {
                "id": query_id,
                "from": sender,
                "message": message,
                "chat_instance": f"instance-{chat['id']}",
                "data": data,
            },
        )
        return update_id, query_id

    async def confirmed(
        self, update_id: int, account: Account | None = None, within: float = 10.0
    ) -> None:
        """Wait until the client has taken the update (a later offset, or the webhook answered)."""
        account = account or self.account
        async with asyncio.timeout(within):
            async with account.arrived:
                await account.arrived.wait_for(
                    lambda: account.confirmed > update_id or self._stopping.is_set()
                )

    def flood(self, method: str, retry_after: int, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``retry_after``."""
        self.floods.setdefault(method.lower(), []).extend([retry_after] * times)

    def sent_messages(self, chat: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The bot's messages as they are now (edits applied)."""
        bot_id = self.bot_user["id"]
        return [
            m
            for (cid, _), m in sorted(self.messages.items())
            if m["from"]["id"] == bot_id and (chat is None or cid == chat["id"])
        ]

    # --- HTTP ---

    async def _api(self, request: web.Request) -> web.Response:
        account = self.accounts.get(request.match_info["token"])
        method = request.match_info["method"]
        if account is None:
            return _json(401, ApiError(401, "Unauthorized").payload())
        params, uploads = await _params(request)
        call = Call(method, params, uploads)
        account.calls.append(call)
        handler = getattr(self, "_m_" + method.lower(), None)
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            waits = self.floods.get(method.lower())
            if waits:
                retry = waits.pop(0)
                raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
            result = await handler(account, params, uploads)
        except ApiError as exc:
            call.status, call.error = exc.code, exc.description
            await self._answered(account)
            return _json(exc.code, exc.payload())
        call.result = result
        await self._answered(account)
        return _json(200, {"ok": True, "result": result})

    async def _answered(self, account: Account) -> None:
        async with account.arrived:
            account.arrived.notify_all()

    async def called(
        self, method: str, account: Account | None = None, within: float = 30.0
    ) -> Call:
        """Wait until the client has called ``method`` successfully; that call."""
        account = account or self.account

        def found() -> Call | None:
            return next(
                (c for c in account.calls if c.method == method and c.ok and c.result is not None),
                None,
            )

        async with asyncio.timeout(within):
            async with account.arrived:
                await account.arrived.wait_for(lambda: found() is not None)
        call = found()
        assert call is not None
        return call

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.accounts:
            return _json(401, ApiError(401, "Unauthorized").payload())
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.path == path), None)
        if stored is None:
            return _json(404, ApiError(404, "Not Found").payload())
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _post_webhook(self, account: Account, update: dict[str, Any]) -> None:
        assert account.webhook is not None
        if self._client is None:
            self._client = aiohttp.ClientSession()
        headers = {}
        if account.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = account.webhook["secret_token"]
        async with self._client.post(account.webhook["url"], json=update, headers=headers) as resp:
            account.webhook["last_status"] = resp.status
            if resp.status < 300:
                async with account.arrived:
                    account.confirmed = max(account.confirmed, int(update["update_id"]) + 1)
                    account.arrived.notify_all()

    # --- methods (names as in the Bot API, lower-cased) ---

    async def _m_getme(self, account: Account, p: dict[str, Any], u: dict[str, Upload]) -> Any:
        return {
            **account.user,
            "can_join_groups": True,
            "can_read_all_group_messages": not account.privacy,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, account: Account, p: dict[str, Any], u: dict[str, Upload]) -> Any:
        if account.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _int(p, "offset", 0)
        limit = min(max(_int(p, "limit", 100), 1), 100)
        timeout = _int(p, "timeout", 0)
        if "allowed_updates" in p:
            wanted = _json_value(p, "allowed_updates")
            account.allowed_updates = frozenset(wanted) if wanted else DEFAULT_UPDATES
        async with account.arrived:
            if offset:
                account.updates = [x for x in account.updates if x["update_id"] >= offset]
                if offset > account.confirmed:
                    account.confirmed = offset
                    account.arrived.notify_all()

            def ready() -> list[dict[str, Any]]:
                return [x for x in account.updates if _kind(x) in account.allowed_updates][:limit]

            if not ready() and timeout > 0 and not self._stopping.is_set():
                with suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await account.arrived.wait_for(
                            lambda: bool(ready()) or self._stopping.is_set()
                        )
            # updates of kinds not asked for are dropped, as Telegram does
            account.updates = [x for x in account.updates if _kind(x) in account.allowed_updates]
            return ready()

    async def _m_setwebhook(self, account: Account, p: dict[str, Any], u: dict[str, Upload]) -> Any:
        url = str(p.get("url") or "")
        if not url:
            account.webhook = None
            return True
        secret = p.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if "allowed_updates" in p:
            wanted = _json_value(p, "allowed_updates")
            account.allowed_updates = frozenset(wanted) if wanted else DEFAULT_UPDATES
        account.webhook = {"url": url, "secret_token": secret}
        return True

    async def _m_deletewebhook(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        account.webhook = None
        if _bool(p, "drop_pending_updates"):
            account.updates.clear()
        return True

    async def _m_getwebhookinfo(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        hook = account.webhook or {}
        return {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(account.updates),
        }

    async def _m_setmycommands(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        commands = _json_value(p, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request(
                "too many commands" if isinstance(commands, list) else "commands must be an array"
            )
        for entry in commands:
            if not _COMMAND_NAME.fullmatch(str(entry.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(entry.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        account.commands = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getmycommands(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        return account.commands

    async def _m_getchatmember(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        chat = self._chat(p)
        user = self.users.get(_int(p, "user_id", 0))
        if user is None:
            raise bad_request("user not found")
        status = self.members.get((chat["id"], user["id"]), "member")
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        if status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, False))
            member.update(can_manage_chat=True, can_delete_messages=True)
        if status in ("restricted", "kicked"):
            member["until_date"] = 0
        if status == "restricted":
            member.update(dict.fromkeys(_RESTRICTIONS, False), is_member=True)
        return member

    async def _m_sendchataction(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        self._chat(p)
        if p.get("action") not in _ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _m_sendmessage(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        chat = self._chat(p)
        text = self._parse(str(p.get("text") or ""), p.get("parse_mode"))
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("message is too long")
        message = self._bot_message(account, chat, p)
        message["text"] = text
        return message

    async def _m_sendmessagedraft(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        chat = self._chat(p)
        if chat.get("type") != "private":
            raise bad_request("message drafts can be sent to private chats only")
        draft_id = _int(p, "draft_id", 0)
        if draft_id == 0:
            raise bad_request("draft_id must be non-zero")
        text = self._parse(str(p.get("text") or ""), p.get("parse_mode"))
        if not text.strip() or len(text) > TEXT_LIMIT:
            raise bad_request("text must be non-empty and at most 4096 characters")
        self.drafts.append((chat["id"], draft_id, text))
        return True

    async def _m_editmessagetext(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        message = self._own_message(account, p)
        text = self._parse(str(p.get("text") or ""), p.get("parse_mode"))
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = _markup(p)
        if message.get("text") == text and markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        message["text"] = text
        if markup is None:  # as on Telegram: an edit without reply_markup drops the keyboard
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = message["date"] + 1
        return message

    async def _m_editmessagereplymarkup(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        message = self._own_message(account, p)
        markup = _markup(p)
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = message["date"] + 1
        return message

    async def _m_answercallbackquery(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self.callback_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if self.callback_queries[query_id]:
            raise bad_request("query is already answered")
        self.callback_queries[query_id] = True
        return True

    async def _m_senddocument(
        self, account: Account, p: dict[str, Any], u: dict[str, Upload]
    ) -> Any:
        chat = self._chat(p)
        upload = self._upload(p, u, "document")
        message = self._bot_message(account, chat, p)
        self._caption(message, p)
        stored = self.add_file(upload.data, name=upload.filename)
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": upload.filename,
            "mime_type": upload.content_type or _mime(upload.data),
            "file_size": len(upload.data),
        }
        return message

    async def _m_sendvoice(self, account: Account, p: dict[str, Any], u: dict[str, Upload]) -> Any:
        chat = self._chat(p)
        upload = self._upload(p, u, "voice")
        message = self._bot_message(account, chat, p)
        self._caption(message, p)
        stored = self.add_file(upload.data, name=upload.filename)
        media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(upload.data),
        }
        if is_ogg_opus(upload.data):
            message["voice"] = {
                **media,
                "duration": _int(p, "duration", 1),
                "mime_type": "audio/ogg",
            }
        else:  # Telegram shows anything but OGG/Opus sent with sendVoice as a plain file
            message["document"] = {
                **media,
                "file_name": upload.filename,
                "mime_type": _mime(upload.data),
            }
        return message

    async def _m_getfile(self, account: Account, p: dict[str, Any], u: dict[str, Upload]) -> Any:
        stored = self.files.get(str(p.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        size = max(len(stored.data), self._declared_size(stored.file_id))
        if size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    # --- helpers ---

    def _declared_size(self, file_id: str) -> int:
        for message in self.messages.values():
            for kind in ("voice", "audio", "document"):
                media = message.get(kind)
                if media and media["file_id"] == file_id:
                    return int(media.get("file_size") or 0)
        return 0

    def _own_message(self, account: Account, p: dict[str, Any]) -> dict[str, Any]:
        """The bot's own message that ``chat_id`` and ``message_id`` name, to edit."""
        chat = self._chat(p)
        message = self.messages.get((chat["id"], _int(p, "message_id", 0)))
        if message is None or message["from"]["id"] != account.user["id"]:
            raise bad_request("message to edit not found")
        return message

    def _chat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(_int(p, "chat_id", 0))
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _parse(self, text: str, parse_mode: Any) -> str:
        if not parse_mode:
            return text
        if str(parse_mode) != "HTML":
            if str(parse_mode) in ("Markdown", "MarkdownV2"):
                raise bad_request(
                    f"can't parse entities: the fake server speaks only HTML, not {parse_mode}"
                )
            raise bad_request("unsupported parse_mode")
        if self.reject_entities:
            raise bad_request('can\'t parse entities: Unsupported start tag "x" at byte offset 0')
        try:
            return parse_html(text)
        except EntityError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None

    def _bot_message(
        self, account: Account, chat: dict[str, Any], p: dict[str, Any]
    ) -> dict[str, Any]:
        thread = _int(p, "message_thread_id", 0) or None
        reply = _json_value(p, "reply_parameters") if "reply_parameters" in p else None
        replied = None
        if isinstance(reply, dict):
            replied = self.messages.get((chat["id"], int(reply.get("message_id", 0))))
            if replied is None and not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
        message = self._new_message(chat, account.user, thread)
        markup = _markup(p)
        if markup is not None:
            message["reply_markup"] = markup
        if replied is not None:
            message["reply_to_message"] = {
                k: v for k, v in replied.items() if k != "reply_to_message"
            }
        return message

    def _caption(self, message: dict[str, Any], p: dict[str, Any]) -> None:
        caption = self._parse(str(p.get("caption") or ""), p.get("parse_mode"))
        if len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        if caption:
            message["caption"] = caption

    def _upload(self, p: dict[str, Any], uploads: dict[str, Upload], field: str) -> Upload:
        value = p.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            found = uploads.get(value.removeprefix("attach://"))
        elif isinstance(value, str) and value in self.files:
            stored = self.files[value]
            found = Upload(stored.path.rsplit("/", 1)[-1], stored.data)
        else:
            found = uploads.get(field)
        if found is None:
            raise bad_request(f"there is no {field} in the request")
        if not found.data:
            raise bad_request("file must be non-empty")
        return found


_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)
_RESTRICTIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _entities(text: str) -> list[dict[str, Any]]:
    """bot_command at the start and @mentions, with UTF-16 offsets as Telegram gives them."""
    found = []
    command = _BOT_COMMAND.match(text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group(0))})
    for match in _MENTION.finditer(text):
        found.append(
            {
                "type": "mention",
                "offset": _utf16(text[: match.start()]),
                "length": _utf16(match.group(0)),
            }
        )
    return found


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _kind(update: dict[str, Any]) -> str:
    return next(k for k in update if k != "update_id")


async def _params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Query string, urlencoded, JSON or multipart parameters, as the Bot API accepts them."""
    params: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                params[key] = value
    return params, uploads


def _int(p: dict[str, Any], key: str, default: int) -> int:
    value = p.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"wrong parameter {key} in request") from None


def _bool(p: dict[str, Any], key: str) -> bool:
    value = p.get(key)
    return value in (True, "true", "True", "1", 1)


def _json_value(p: dict[str, Any], key: str) -> Any:
    value = p.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    return value


def _markup(p: dict[str, Any]) -> dict[str, Any] | None:
    """An inline keyboard given as reply_markup (None when absent or empty)."""
    if "reply_markup" not in p:
        return None
    markup = _json_value(p, "reply_markup")
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if not button.get("text") or not isinstance(data, str) or len(data.encode()) > 64:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup if markup["inline_keyboard"] else None


def _json(status: int, payload: Any) -> web.Response:
    return web.json_response(payload, status=status)


__all__ = ["TOKEN", "Account", "ApiError", "Call", "FakeTelegram", "Upload", "is_ogg_opus"]
